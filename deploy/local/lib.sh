# shellcheck shell=bash
# Helpers shared by the deploy/local scripts. Sourced, never executed.
#
# Layout of the state directory (`.switchyard/` in the checkout, ignored by git):
#   secrets.env          encryption key, admin token, PostgreSQL superuser password (generated once, mode 600)
#   local.env            URLs and keys of the running local stack, to `source` in a shell
#   demo.env             the demo marketplace's API key and ids (written by deploy/local/demo)
#   logs/                <service>.log, demo-receiver.log, postgres.log and rabbitmq/ (links to the server logs)
#   run/                 pid files of the services and the demo receiver
#   postgres/, rabbitmq/ private server directories (data, config, logs), owned by the server users
#   test/                the same for the throw-away servers of deploy/local/test

SY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SY_STATE="${SY_ROOT}/.switchyard"
# Used by the scripts that source this file, not here.
# shellcheck disable=SC2034
SY_LOCAL_DIR="${SY_ROOT}/deploy/local"
SY_PG_BIN="${SWITCHYARD_PG_BIN:-/usr/lib/postgresql/15/bin}"
SY_RABBIT_BIN="${SWITCHYARD_RABBITMQ_BIN:-/usr/lib/rabbitmq/bin}"
# The services deploy/local runs, in start order: name (switchyard-NAME) and the HTTP port it listens on here.
# The one list the scripts read; compose and Kubernetes name them in their manifests. Every binary reads its port
# from SWITCHYARD_HTTP_PORT (its default is the port below); on one host each needs its own, so start_service hands
# each process its port. The operator chooses another port for a service of deploy/local/up with the per-service
# variables below (e.g. SWITCHYARD_GATEWAY_PORT=9000 deploy/local/up): inputs of these scripts only, read here
# once and never by the binaries.
SY_SERVICE_TABLE=(
    "log-service ${SWITCHYARD_LOGS_PORT:-8081}"
    "matcher ${SWITCHYARD_MATCHER_PORT:-8082}"
    "webhook-worker ${SWITCHYARD_WEBHOOK_WORKER_PORT:-8083}"
    "mailchimp-worker ${SWITCHYARD_MAILCHIMP_WORKER_PORT:-8084}"
    "icontact-worker ${SWITCHYARD_ICONTACT_WORKER_PORT:-8085}"
    "gateway ${SWITCHYARD_GATEWAY_PORT:-8080}"
    "console ${SWITCHYARD_CONSOLE_PORT:-8090}"
)
SY_SERVICES=()
for _row in "${SY_SERVICE_TABLE[@]}"; do SY_SERVICES+=("${_row%% *}"); done
unset _row

# Swift installed as a tarball in /opt/swift is found even when the caller's PATH lacks it.
if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    PATH="/opt/swift/usr/bin:${PATH}"
fi

# --- messages ---------------------------------------------------------------------------------------------------

if [[ -t 1 ]]; then
    _sy_bold=$'\e[1m' _sy_red=$'\e[31m' _sy_yellow=$'\e[33m' _sy_off=$'\e[0m'
else
    _sy_bold='' _sy_red='' _sy_yellow='' _sy_off=''
fi
step() { printf '%s==> %s%s\n' "$_sy_bold" "$*" "$_sy_off"; }
info() { printf '    %s\n' "$*"; }
warn() { printf '%swarning:%s %s\n' "$_sy_yellow" "$_sy_off" "$*" >&2; }
die() { printf '%serror:%s %s\n' "$_sy_red" "$_sy_off" "$*" >&2; exit 1; }

# Prints the last lines of a file (following a symlink) under a heading, for failure messages.
show_tail() {
    local file=$1 lines=${2:-40}
    if [[ -r "$file" ]]; then
        printf -- '----- last %s lines of %s -----\n' "$lines" "$file" >&2
        tail -n "$lines" "$file" >&2 || true
        printf -- '-----\n' >&2
    else
        printf '(no log at %s)\n' "$file" >&2
    fi
}

# --- users ------------------------------------------------------------------------------------------------------
# initdb/postgres refuse to run as root, and RabbitMQ's own scripts expect the `rabbitmq` user. So as root the
# servers run as the `postgres` / `rabbitmq` users; as any other user they simply run as that user (no sudo
# needed: both servers are happy as an ordinary user with writable directories).

is_root() { [[ $(id -u) -eq 0 ]]; }
pg_user() { if is_root; then echo postgres; else id -un; fi; }
rabbit_user() { if is_root; then echo rabbitmq; else id -un; fi; }

# run_as USER CMD...: runs CMD as USER (directly when that is us), in / so that an unreadable cwd does not matter.
run_as() {
    local user=$1
    shift
    if [[ "$user" == "$(id -un)" ]]; then
        (cd / && "$@")
    else
        (cd / && runuser -u "$user" -- "$@")
    fi
}

# sudo when needed and available (for apt-get).
as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "'$*' needs root and sudo is not installed: run this script as root"
    fi
}

# --- server directories -----------------------------------------------------------------------------------------
# The servers' data should live in the checkout (`.switchyard/postgres`, `.switchyard/rabbitmq`), but as root
# they run as other users, who must be able to traverse every parent directory. A clone under /root (mode 700)
# is not traversable. Instead of loosening permissions on the user's directories (chmod o+x /root would expose
# every known path below it), the server directory is then created in /var/tmp/switchyard/<hash of checkout>/
# (/var/tmp survives reboots) and `.switchyard/<name>` becomes a symlink to it. Scripts always hand the servers
# the resolved path, never the path through the checkout.

# server_dir NAME USER: prints the real path of .switchyard/NAME (creating it owned by USER when missing).
server_dir() {
    local name=$1 user=$2 link="${SY_STATE}/$1"
    mkdir -p "$(dirname "$link")"
    if [[ ! -e "$link" ]]; then
        [[ -L "$link" ]] && rm -f "$link" # dangling symlink: /var/tmp was cleaned
        if [[ "$user" == "$(id -un)" ]] || run_as "$user" test -x "$(dirname "$link")"; then
            mkdir -p "$link"
        else
            local hash target
            hash=$(printf '%s' "$link" | sha256sum | cut -c1-16)
            target="/var/tmp/switchyard/${hash}"
            mkdir -p "$target"
            chmod 755 /var/tmp/switchyard "$target"
            info "$user cannot traverse $(dirname "$link"); keeping its files in ${target} (linked from ${link})" >&2
            ln -sfn "$target" "$link"
        fi
    fi
    local real
    real=$(readlink -f "$link")
    chown "$user" "$real" 2>/dev/null || true
    chmod 700 "$real"
    printf '%s\n' "$real"
}

# wipe_server_dir NAME: removes .switchyard/NAME and, when it is a symlink, its target.
wipe_server_dir() {
    local link="${SY_STATE}/$1"
    if [[ -L "$link" ]]; then
        rm -rf "$(readlink -f "$link")"
        rm -f "$link"
    else
        rm -rf "$link"
    fi
}

# port_in_use PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- TLS for the test servers ------------------------------------------------------------------------------------
# make_test_tls DIR: a throw-away CA (ca.pem) and a server certificate it signed (server.pem, server.key) for
# localhost and 127.0.0.1, valid 30 days; the test servers listen with it and the tests trust ca.pem.
make_test_tls() {
    local dir=$1
    mkdir -p "$dir"
    (
        cd "$dir"
        umask 077
        openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj '/CN=Switchyard test CA' \
            -keyout ca.key -out ca.pem >/dev/null 2>&1
        openssl req -newkey rsa:2048 -nodes -subj '/CN=localhost' -keyout server.key -out server.csr >/dev/null 2>&1
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile server.ext \
            -out server.pem >/dev/null 2>&1
        chmod 644 ca.pem server.pem
    ) || die "openssl could not make the test certificates in ${dir}"
}

# copy_tls_files DIR USER: server.pem, server.key and ca.pem of SY_TLS_DIR into DIR, owned by USER (key 600).
copy_tls_files() {
    local dir=$1 user=$2
    mkdir -p "$dir"
    cp "${SY_TLS_DIR}/server.pem" "${SY_TLS_DIR}/server.key" "${SY_TLS_DIR}/ca.pem" "$dir/"
    chmod 600 "$dir/server.key"
    chown -R "$user" "$dir"
}

# tls_enabled: the server set has a TLS directory with a server certificate (only the test servers do).
tls_enabled() { [[ -n "${SY_TLS_DIR:-}" && -f "${SY_TLS_DIR}/server.pem" ]]; }

random_base64() { head -c "$1" /dev/urandom | base64 | tr -d '\n'; }
random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# --- PostgreSQL -------------------------------------------------------------------------------------------------
# A private cluster reachable over TCP on 127.0.0.1 only (no Unix socket: its path length limit breaks in deep
# checkouts), password authentication for everybody, superuser `postgres` with a generated password.
# Callers set: PG_NAME (state dir name, e.g. postgres or test/postgres), PG_PORT, PG_SUPERPASS.

pg_dir() { server_dir "$PG_NAME" "$(pg_user)"; }

pg_super() { # pg_super ARGS...: psql as the superuser
    PGPASSWORD="$PG_SUPERPASS" psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"
}

pg_running() {
    local dir=$1
    [[ -f "$dir/data/postmaster.pid" ]] && run_as "$(pg_user)" "$SY_PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

pg_start() {
    local dir user
    dir=$(pg_dir)
    user=$(pg_user)
    mkdir -p "${SY_STATE}/${PG_LOGS:-logs}"
    ln -sfn "$dir/server.log" "${SY_STATE}/${PG_LOGS:-logs}/postgres.log"
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
        step "Initialising PostgreSQL in ${SY_STATE}/${PG_NAME}"
        rm -rf "$dir/data"
        local pwfile="$dir/superuser.pw"
        (umask 077 && printf '%s\n' "$PG_SUPERPASS" >"$pwfile")
        chown "$user" "$pwfile"
        run_as "$user" "$SY_PG_BIN/initdb" -D "$dir/data" -U postgres --pwfile="$pwfile" \
            --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
            { show_tail "$dir/initdb.log"; die "initdb failed"; }
        rm -f "$pwfile"
        cat >>"$dir/data/postgresql.conf" <<EOF

# --- written by deploy/local (Switchyard) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 200
fsync = ${PG_FSYNC:-on}
EOF
        if tls_enabled; then
            # TLS on the same port; clients choose with sslmode (plain connections keep working).
            copy_tls_files "$dir/data/tls" "$user"
            cat >>"$dir/data/postgresql.conf" <<EOF
ssl = on
ssl_cert_file = '$dir/data/tls/server.pem'
ssl_key_file = '$dir/data/tls/server.key'
EOF
        fi
    fi
    if pg_running "$dir"; then
        info "PostgreSQL already running on port $(sed -n 4p "$dir/data/postmaster.pid")"
    else
        port_in_use "$PG_PORT" && die "port $PG_PORT is taken by another program; set ${PG_PORT_VAR} to a free port"
        step "Starting PostgreSQL on 127.0.0.1:${PG_PORT}"
        run_as "$user" "$SY_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "-p ${PG_PORT}" -w -t 60 \
            start >/dev/null ||
            { show_tail "$dir/server.log"; die "PostgreSQL did not start (log: ${SY_STATE}/${PG_LOGS:-logs}/postgres.log)"; }
    fi
    pg_super -d postgres -c 'select 1' >/dev/null ||
        die "cannot connect to PostgreSQL on port $PG_PORT as postgres (is the superuser password in secrets.env stale?)"
}

# pg_ensure_app_db: role switchyard (password switchyard, CREATEDB) and database switchyard, idempotently.
pg_ensure_app_db() {
    pg_super -d postgres <<'SQL'
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'switchyard') THEN
        CREATE ROLE switchyard LOGIN CREATEDB PASSWORD 'switchyard';
    ELSE
        ALTER ROLE switchyard LOGIN CREATEDB PASSWORD 'switchyard';
    END IF;
END $$;
SQL
    if [[ -z $(pg_super -d postgres -tAc "select 1 from pg_database where datname = 'switchyard'") ]]; then
        pg_super -d postgres -c 'CREATE DATABASE switchyard OWNER switchyard'
    fi
}

pg_stop() {
    local link="${SY_STATE}/${PG_NAME}"
    [[ -e "$link" ]] || return 0
    local dir
    dir=$(readlink -f "$link")
    if pg_running "$dir"; then
        step "Stopping PostgreSQL (${SY_STATE}/${PG_NAME})"
        run_as "$(pg_user)" "$SY_PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    fi
}

# --- RabbitMQ ---------------------------------------------------------------------------------------------------
# A private node, isolated from any system or other private broker: its own HOME (hence its own Erlang cookie,
# which rabbitmqctl reads from the same HOME, so it works from root and from the node's user alike), its own
# epmd port, config file, plugins file, pid file, data and logs. Callers set: RMQ_NAME (state dir name),
# RMQ_NODE, RMQ_PORT; optionally RMQ_DIST_PORT and RMQ_EPMD_PORT.

rmq_dist_port() {
    if [[ -n "${RMQ_DIST_PORT:-}" ]]; then echo "$RMQ_DIST_PORT"
    elif ((RMQ_PORT + 20000 <= 65535)); then echo $((RMQ_PORT + 20000))
    else echo $((RMQ_PORT - 10000)); fi
}
# The CLI tools (rabbitmqctl) are Erlang nodes too; by default they all take ports from 35672-35682, which can
# collide with a node's distribution port. Each node gets its CLI range right above its own distribution port,
# and its epmd right above that.
rmq_ctl_port_min() { echo $(($(rmq_dist_port) + 1)); }
rmq_ctl_port_max() { echo $(($(rmq_dist_port) + 10)); }
rmq_epmd_port() { echo "${RMQ_EPMD_PORT:-$(($(rmq_dist_port) + 11))}"; }

rmq_dir() { server_dir "$RMQ_NAME" "$(rabbit_user)"; }

# rmq_env DIR: the environment of the node and of its CLI tools, one VAR=value per line.
rmq_env() {
    local dir=$1
    cat <<EOF
HOME=$dir/home
ERL_EPMD_PORT=$(rmq_epmd_port)
ERL_EPMD_ADDRESS=127.0.0.1
ERL_CRASH_DUMP=$dir/log/erl_crash.dump
RABBITMQ_NODENAME=$RMQ_NODE
RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
RABBITMQ_NODE_PORT=$RMQ_PORT
RABBITMQ_DIST_PORT=$(rmq_dist_port)
RABBITMQ_CTL_DIST_PORT_MIN=$(rmq_ctl_port_min)
RABBITMQ_CTL_DIST_PORT_MAX=$(rmq_ctl_port_max)
RABBITMQ_MNESIA_BASE=$dir/mnesia
RABBITMQ_LOG_BASE=$dir/log
RABBITMQ_PID_FILE=$dir/rabbitmq.pid
RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf
RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config
RABBITMQ_CONF_ENV_FILE=$dir/rabbitmq-env.conf
EOF
}

# rmq_run CMD ARGS...: runs a RabbitMQ tool (rabbitmqctl, rabbitmq-server, …) for this node as the node's user.
rmq_run() {
    local tool=$1 dir
    shift
    dir=$(readlink -f "${SY_STATE}/${RMQ_NAME}")
    local -a env_args
    mapfile -t env_args < <(rmq_env "$dir")
    run_as "$(rabbit_user)" env "${env_args[@]}" "$SY_RABBIT_BIN/$tool" "$@"
}

rmq_running() {
    [[ -e "${SY_STATE}/${RMQ_NAME}" ]] || return 1
    rmq_run rabbitmqctl -q -n "$RMQ_NODE" --timeout 5 ping >/dev/null 2>&1
}

rmq_start() {
    local dir user
    dir=$(rmq_dir)
    user=$(rabbit_user)
    mkdir -p "${SY_STATE}/${RMQ_LOGS:-logs}"
    ln -sfn "$dir/log" "${SY_STATE}/${RMQ_LOGS:-logs}/rabbitmq"
    if [[ ! -f "$dir/home/.erlang.cookie" ]]; then
        mkdir -p "$dir/home"
        (umask 077 && random_hex 20 | tr 'a-f' 'A-F' >"$dir/home/.erlang.cookie")
        chmod 400 "$dir/home/.erlang.cookie"
    fi
    mkdir -p "$dir/log" "$dir/mnesia"
    echo '[].' >"$dir/enabled_plugins"
    cp "${SY_ROOT}/deploy/rabbitmq/advanced.config" "$dir/advanced.config"
    : >"$dir/rabbitmq-env.conf"
    cat >"$dir/rabbitmq.conf" <<'EOF'
# written by deploy/local (Switchyard); the node's port, address and name come from the environment
log.file.level = info
log.console = false
EOF
    if tls_enabled && [[ -n "${RMQ_TLS_PORT:-}" ]]; then
        copy_tls_files "$dir/tls" "$user"
        cat >>"$dir/rabbitmq.conf" <<EOF
listeners.ssl.default = 127.0.0.1:${RMQ_TLS_PORT}
ssl_options.cacertfile = $dir/tls/ca.pem
ssl_options.certfile = $dir/tls/server.pem
ssl_options.keyfile = $dir/tls/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
EOF
    fi
    chown -R "$user" "$dir"
    if rmq_running; then
        info "RabbitMQ node ${RMQ_NODE} already running"
        return 0
    fi
    port_in_use "$RMQ_PORT" && die "port $RMQ_PORT is taken by another program; set ${RMQ_PORT_VAR} to a free port"
    if tls_enabled && [[ -n "${RMQ_TLS_PORT:-}" ]] && port_in_use "$RMQ_TLS_PORT"; then
        die "port $RMQ_TLS_PORT (AMQPS) is taken by another program; set SWITCHYARD_TEST_AMQPS_PORT to a free port"
    fi
    port_in_use "$(rmq_dist_port)" && die "RabbitMQ distribution port $(rmq_dist_port) is taken; set ${RMQ_DIST_PORT_VAR}"
    step "Starting RabbitMQ node ${RMQ_NODE} on 127.0.0.1:${RMQ_PORT}"
    rm -f "$dir/rabbitmq.pid"
    rmq_run rabbitmq-server -detached >>"$dir/log/startup.log" 2>&1 ||
        { show_tail "$dir/log/startup.log"; die "rabbitmq-server did not start"; }
    # `wait` blocks until the pid file appears and the node has booted (await_startup needs the node registered).
    if ! rmq_run rabbitmqctl -q -n "$RMQ_NODE" --timeout 90 wait "$dir/rabbitmq.pid" >>"$dir/log/startup.log" 2>&1; then
        show_tail "$dir/log/startup.log" 20
        show_tail "$dir/log/${RMQ_NODE}.log"
        die "RabbitMQ node ${RMQ_NODE} did not start (logs: ${SY_STATE}/${RMQ_LOGS:-logs}/rabbitmq/)"
    fi
    rmq_run rabbitmqctl -q -n "$RMQ_NODE" await_startup >/dev/null
}

rmq_stop() {
    [[ -e "${SY_STATE}/${RMQ_NAME}" ]] || return 0
    if rmq_running; then
        step "Stopping RabbitMQ node ${RMQ_NODE}"
        local dir
        dir=$(readlink -f "${SY_STATE}/${RMQ_NAME}")
        # `stop PIDFILE` returns once the Erlang VM has exited.
        rmq_run rabbitmqctl -q -n "$RMQ_NODE" stop "$dir/rabbitmq.pid" >/dev/null 2>&1 ||
            warn "rabbitmqctl stop failed for ${RMQ_NODE}"
    fi
    # The node's private epmd outlives the node; nothing else uses its port, so stop it too.
    local epmd_port
    epmd_port=$(rmq_epmd_port)
    if port_in_use "$epmd_port"; then
        run_as "$(rabbit_user)" env ERL_EPMD_PORT="$epmd_port" epmd -kill >/dev/null 2>&1 || true
    fi
}

# --- the two server sets ----------------------------------------------------------------------------------------

use_local_servers() {
    PG_NAME=postgres PG_LOGS=logs PG_PORT=${SWITCHYARD_PG_PORT:-5432} PG_PORT_VAR=SWITCHYARD_PG_PORT
    RMQ_NAME=rabbitmq RMQ_LOGS=logs RMQ_PORT=${SWITCHYARD_AMQP_PORT:-5672} RMQ_PORT_VAR=SWITCHYARD_AMQP_PORT
    RMQ_NODE=${SWITCHYARD_RABBITMQ_NODE:-switchyard@localhost}
    RMQ_DIST_PORT=${SWITCHYARD_RABBITMQ_DIST_PORT:-} RMQ_DIST_PORT_VAR=SWITCHYARD_RABBITMQ_DIST_PORT
    RMQ_EPMD_PORT=${SWITCHYARD_EPMD_PORT:-}
    RMQ_TLS_PORT='' SY_TLS_DIR='' # the local stack listens without TLS
    PG_FSYNC=on
    PG_SUPERPASS=${SY_PG_SUPERUSER_PASSWORD:-}
}

use_test_servers() {
    PG_NAME=test/postgres PG_LOGS=test/logs PG_PORT=${SWITCHYARD_TEST_PG_PORT:-55432} PG_PORT_VAR=SWITCHYARD_TEST_PG_PORT
    RMQ_NAME=test/rabbitmq RMQ_LOGS=test/logs RMQ_PORT=${SWITCHYARD_TEST_AMQP_PORT:-55672} RMQ_PORT_VAR=SWITCHYARD_TEST_AMQP_PORT
    RMQ_NODE=${SWITCHYARD_TEST_RABBITMQ_NODE:-switchyard-test@localhost}
    RMQ_DIST_PORT=${SWITCHYARD_TEST_RABBITMQ_DIST_PORT:-} RMQ_DIST_PORT_VAR=SWITCHYARD_TEST_RABBITMQ_DIST_PORT
    RMQ_EPMD_PORT=${SWITCHYARD_TEST_EPMD_PORT:-}
    RMQ_TLS_PORT=${SWITCHYARD_TEST_AMQPS_PORT:-$((RMQ_PORT + 1))}
    SY_TLS_DIR="${SY_STATE}/test/tls"
    PG_FSYNC=off # throw-away data: durability buys nothing and costs test time
    PG_SUPERPASS=$(cat "${SY_STATE}/test/superuser.pw" 2>/dev/null || true)
}

# load_secrets: creates .switchyard/secrets.env once, then exports its values.
load_secrets() {
    local file="${SY_STATE}/secrets.env"
    mkdir -p "$SY_STATE"
    if [[ ! -f "$file" ]]; then
        (
            umask 077
            cat >"$file" <<EOF
# Generated once by deploy/local/up. Keep it: the encryption key decrypts the stored credentials.
SWITCHYARD_ENCRYPTION_KEY=$(random_base64 32)
SWITCHYARD_ADMIN_TOKEN=sya_$(random_hex 24)
SY_PG_SUPERUSER_PASSWORD=$(random_hex 16)
EOF
        )
        info "generated ${file}"
    fi
    # Added after the first version of the file: the key sealing the console's session cookies.
    if ! grep -q '^SWITCHYARD_CONSOLE_SESSION_KEY=' "$file"; then
        echo "SWITCHYARD_CONSOLE_SESSION_KEY=$(random_base64 32)" >>"$file"
    fi
    set -a
    # shellcheck source=/dev/null
    source "$file"
    set +a
}

# --- service processes ------------------------------------------------------------------------------------------

# pid_alive PIDFILE [NAME]: true when the pid file names a live process (whose command line contains NAME).
pid_alive() {
    local file=$1 name=${2:-} pid
    [[ -f "$file" ]] || return 1
    pid=$(cat "$file" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    [[ -z "$name" ]] || tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$name"
}

# stop_pidfile PIDFILE NAME: SIGTERM, wait up to 10 s, then SIGKILL; removes the pid file.
stop_pidfile() {
    local file=$1 name=$2 pid i
    if pid_alive "$file" "$name"; then
        pid=$(cat "$file")
        info "stopping ${name} (pid ${pid})"
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            warn "${name} (pid ${pid}) ignored SIGTERM for 10 s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$file"
}

# stop_all_services: every service, extra worker and the demo receiver that has a pid file.
stop_all_services() {
    local f base
    shopt -s nullglob
    for f in "${SY_STATE}"/run/*.pid; do
        base=$(basename "$f" .pid)
        case "$base" in
            demo-receiver) stop_pidfile "$f" demo-receiver.py ;;
            *) stop_pidfile "$f" "switchyard-${base%%.*}" ;;
        esac
    done
    shopt -u nullglob
}

# service_port NAME: the HTTP port of the service's process started by deploy/local/up (SY_SERVICE_TABLE).
service_port() {
    local row name port
    for row in "${SY_SERVICE_TABLE[@]}"; do
        read -r name port <<<"$row"
        if [[ "$name" == "$1" ]]; then
            echo "$port"
            return 0
        fi
    done
    die "unknown service $1"
}

# export_service_env: the environment every service reads, pointing at the local servers.
export_service_env() {
    export SWITCHYARD_DATABASE_URL="postgres://switchyard:switchyard@127.0.0.1:${PG_PORT}/switchyard"
    export SWITCHYARD_AMQP_URL="amqp://guest:guest@127.0.0.1:${RMQ_PORT}/%2f"
    export SWITCHYARD_AMQP_PREFIX="${SWITCHYARD_AMQP_PREFIX:-switchyard}"
    export SWITCHYARD_LOG_LEVEL="${SWITCHYARD_LOG_LEVEL:-info}"
    export SWITCHYARD_HTTP_HOST="${SWITCHYARD_HTTP_HOST:-127.0.0.1}"
    export SWITCHYARD_ENCRYPTION_KEY SWITCHYARD_ADMIN_TOKEN
    # Webhooks never reach internal addresses unless allowed: the demo's receiver listens on 127.0.0.1 only.
    export SWITCHYARD_WEBHOOK_ALLOW_NETWORKS="${SWITCHYARD_WEBHOOK_ALLOW_NETWORKS:-127.0.0.1/32}"
    if [[ "${SWITCHYARD_USE_FAKES:-0}" == 1 ]]; then
        # The connector workers talk to the local vendor fakes (switchyard-vendor-fakes) instead of the real apps.
        local mc="http://127.0.0.1:${SWITCHYARD_FAKE_MAILCHIMP_PORT:-9301}"
        export SWITCHYARD_FAKE_MAILCHIMP_PORT="${SWITCHYARD_FAKE_MAILCHIMP_PORT:-9301}"
        export SWITCHYARD_FAKE_ICONTACT_PORT="${SWITCHYARD_FAKE_ICONTACT_PORT:-9302}"
        export SWITCHYARD_MAILCHIMP_API_URL="${mc}/{dc}" SWITCHYARD_MAILCHIMP_LOGIN_URL="${mc}/login"
        export SWITCHYARD_MAILCHIMP_CLIENT_ID="${SWITCHYARD_MAILCHIMP_CLIENT_ID:-demo-client}"
        export SWITCHYARD_MAILCHIMP_CLIENT_SECRET="${SWITCHYARD_MAILCHIMP_CLIENT_SECRET:-demo-secret}"
        export SWITCHYARD_ICONTACT_API_URL="http://127.0.0.1:${SWITCHYARD_FAKE_ICONTACT_PORT}/icp"
        # The App ID the console tells merchants to register in iContact: the fake's.
        export SWITCHYARD_ICONTACT_APP_ID="${SWITCHYARD_ICONTACT_APP_ID:-demo-app-id}"
    fi
    # No SWITCHYARD_HTTP_PORT here: it differs per process, and start_service sets it for each.
    # The console is a client of the two public APIs, and seals its sessions with the key of secrets.env.
    SWITCHYARD_GATEWAY_URL="http://127.0.0.1:$(service_port gateway)"
    SWITCHYARD_LOGS_URL="http://127.0.0.1:$(service_port log-service)"
    SWITCHYARD_CONSOLE_PUBLIC_URL="${SWITCHYARD_CONSOLE_PUBLIC_URL:-http://127.0.0.1:$(service_port console)}"
    export SWITCHYARD_GATEWAY_URL SWITCHYARD_LOGS_URL SWITCHYARD_CONSOLE_PUBLIC_URL SWITCHYARD_CONSOLE_SESSION_KEY
}

# start_service NAME BINDIR PORT [INSTANCE]: starts switchyard-NAME in the background with nohup, with
# SWITCHYARD_HTTP_PORT=PORT in its environment only (0: any free port; empty: the binary's default, for the vendor
# fakes, which read ports of their own).
start_service() {
    local name=$1 bindir=$2 port=$3 instance=${4:-} id log pidfile
    id="${name}${instance:+.${instance}}"
    log="${SY_STATE}/logs/${id}.log"
    pidfile="${SY_STATE}/run/${id}.pid"
    [[ -x "${bindir}/switchyard-${name}" ]] || die "${bindir}/switchyard-${name} does not exist: build first (swift build -c release)"
    mkdir -p "${SY_STATE}/logs" "${SY_STATE}/run"
    printf '\n===== %s: starting switchyard-%s =====\n' "$(date -u +%FT%TZ)" "$name" >>"$log"
    SWITCHYARD_HTTP_PORT="$port" nohup "${bindir}/switchyard-${name}" >>"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
}

# wait_healthy NAME URL PIDFILE [TIMEOUT]: waits for URL/health to answer 200 while the process lives.
wait_healthy() {
    local name=$1 url=$2 pidfile=$3 timeout=${4:-60} log i
    log="${SY_STATE}/logs/$(basename "$pidfile" .pid).log"
    for ((i = 0; i < timeout * 4; i++)); do
        if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${url}/health" 2>/dev/null) == 200 ]]; then
            info "${name} healthy at ${url}"
            return 0
        fi
        if ! pid_alive "$pidfile"; then
            show_tail "$log"
            die "${name} exited during start-up (log: ${log})"
        fi
        sleep 0.25
    done
    show_tail "$log"
    die "${name} did not answer 200 on ${url}/health within ${timeout} s (log: ${log})"
}

# swift_bin_dir [-c release]: where swift build puts the executables.
swift_bin_dir() { (cd "$SY_ROOT" && swift build "$@" --show-bin-path); }
