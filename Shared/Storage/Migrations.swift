/// A numbered schema change. Each is applied once, in order, under an advisory lock, so any number of processes
/// can start at the same time.
public struct Migration: Sendable {
    /// The migration's number; migrations apply in ascending order, each once.
    public var version: Int
    /// What the migration does, recorded in `schema_migrations`.
    public var name: String
    /// The SQL statements, run in order in one transaction.
    public var statements: [String]
}

extension Migration {
    /// Every migration, in order. Never edit one that has shipped: add the next number.
    public static let all: [Migration] = [
        Migration(
            version: 1, name: "tenancy, integrations, rules, events, logs",
            statements: [
                """
                CREATE TABLE marketplaces (
                    id text PRIMARY KEY,
                    name text NOT NULL,
                    rules_version bigint NOT NULL DEFAULT 0,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE api_keys (
                    key_hash bytea PRIMARY KEY,
                    marketplace_id text NOT NULL REFERENCES marketplaces (id) ON DELETE CASCADE,
                    key_prefix text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    revoked_at timestamptz
                )
                """,
                "CREATE INDEX api_keys_marketplace ON api_keys (marketplace_id)",
                """
                CREATE TABLE integrations (
                    id text PRIMARY KEY,
                    marketplace_id text NOT NULL REFERENCES marketplaces (id) ON DELETE CASCADE,
                    connector text NOT NULL,
                    label text NOT NULL,
                    status text NOT NULL DEFAULT 'connected',
                    account text,
                    credentials bytea NOT NULL,
                    refreshed_at timestamptz,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    UNIQUE (marketplace_id, label)
                )
                """,
                """
                CREATE TABLE rules (
                    id text PRIMARY KEY,
                    marketplace_id text NOT NULL REFERENCES marketplaces (id) ON DELETE CASCADE,
                    scope text NOT NULL CHECK (scope IN ('global', 'product')),
                    product_id text,
                    trigger text NOT NULL,
                    integration_id text NOT NULL REFERENCES integrations (id),
                    action text NOT NULL,
                    destination jsonb NOT NULL,
                    enabled boolean NOT NULL DEFAULT true,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    CHECK ((scope = 'product') = (product_id IS NOT NULL))
                )
                """,
                "CREATE INDEX rules_marketplace ON rules (marketplace_id, trigger)",
                "CREATE INDEX rules_integration ON rules (integration_id)",
                """
                CREATE TABLE accepted_events (
                    marketplace_id text NOT NULL,
                    event_id text NOT NULL,
                    accepted_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (marketplace_id, event_id)
                )
                """,
                """
                CREATE TABLE processed_events (
                    marketplace_id text NOT NULL,
                    event_id text NOT NULL,
                    processed_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (marketplace_id, event_id)
                )
                """,
                """
                CREATE TABLE completed_actions (
                    command_id text PRIMARY KEY,
                    status text NOT NULL,
                    completed_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE log_entries (
                    id text PRIMARY KEY,
                    seq bigint GENERATED ALWAYS AS IDENTITY,
                    marketplace_id text NOT NULL,
                    event_id text NOT NULL,
                    trigger text NOT NULL,
                    test boolean NOT NULL,
                    customer_email text NOT NULL,
                    product_id text,
                    rule_id text,
                    integration_id text,
                    integration_label text,
                    connector text,
                    action text,
                    destination jsonb,
                    status text NOT NULL,
                    reason text NOT NULL,
                    progress integer NOT NULL,
                    created_at timestamptz NOT NULL,
                    updated_at timestamptz NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX log_entries_seq ON log_entries (marketplace_id, seq DESC)",
                "CREATE INDEX log_entries_email ON log_entries (marketplace_id, lower(customer_email), seq DESC)",
                "CREATE INDEX log_entries_event ON log_entries (marketplace_id, event_id, seq DESC)",
                "CREATE INDEX log_entries_status ON log_entries (marketplace_id, status, seq DESC)",
                "CREATE INDEX log_entries_trigger ON log_entries (marketplace_id, trigger, seq DESC)",
                """
                CREATE TABLE log_attempts (
                    entry_id text NOT NULL REFERENCES log_entries (id) ON DELETE CASCADE,
                    number integer NOT NULL,
                    at timestamptz NOT NULL,
                    outcome text NOT NULL,
                    request text NOT NULL,
                    response text NOT NULL,
                    duration_ms integer NOT NULL,
                    PRIMARY KEY (entry_id, number)
                )
                """,
            ]
        ),
        Migration(
            version: 2, name: "integration catalogs, purchases and completed orders for trigger semantics",
            statements: [
                """
                CREATE TABLE catalog_entries (
                    integration_id text NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
                    kind text NOT NULL,
                    id text NOT NULL,
                    name text NOT NULL,
                    parent_id text,
                    PRIMARY KEY (integration_id, kind, id)
                )
                """,
                "CREATE INDEX catalog_entries_name ON catalog_entries (integration_id, kind, name)",
                """
                CREATE TABLE purchases (
                    marketplace_id text NOT NULL,
                    event_id text NOT NULL,
                    product_id text NOT NULL,
                    customer_email text NOT NULL,
                    occurred_at timestamptz NOT NULL,
                    PRIMARY KEY (marketplace_id, event_id, product_id)
                )
                """,
                """
                CREATE INDEX purchases_customer ON purchases (marketplace_id, customer_email, product_id, occurred_at)
                """,
                """
                CREATE TABLE completed_orders (
                    marketplace_id text NOT NULL,
                    order_id text NOT NULL,
                    event_id text NOT NULL,
                    completed_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (marketplace_id, order_id)
                )
                """,
            ]
        ),
        Migration(
            version: 3, name: "replayable log entries, configuration log, log search indexes",
            statements: [
                // The event and the rule snapshot rebuild an entry's command on replay; `replays` numbers them.
                "ALTER TABLE log_entries ADD COLUMN event jsonb, ADD COLUMN rule jsonb",
                "ALTER TABLE log_entries ADD COLUMN replays integer NOT NULL DEFAULT 0",
                // Each search filter has an index yielding its rows newest first (docs/log-query-benchmark.md).
                """
                CREATE INDEX log_entries_integration ON log_entries (marketplace_id, integration_id, seq DESC)
                WHERE integration_id IS NOT NULL
                """,
                """
                CREATE INDEX log_entries_product ON log_entries (marketplace_id, product_id, seq DESC)
                WHERE product_id IS NOT NULL
                """,
                // A time range is few rows of a marketplace by creation time, sorted afterwards: cheaper than
                // walking the seq index and filtering every entry.
                "CREATE INDEX log_entries_created ON log_entries (marketplace_id, created_at)",
                """
                CREATE TABLE config_log_entries (
                    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    marketplace_id text NOT NULL REFERENCES marketplaces (id) ON DELETE CASCADE,
                    integration_id text NOT NULL,
                    integration_label text NOT NULL,
                    kind text NOT NULL CHECK (kind IN ('connected', 'refreshed', 'refresh_failed', 'needs_reconnect')),
                    message text NOT NULL,
                    at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE INDEX config_log_entries_marketplace ON config_log_entries (marketplace_id, seq DESC)",
            ]
        ),
        Migration(
            version: 4, name: "OAuth states, catalog prefix search",
            statements: [
                // Only the state's hash is kept: a database dump cannot finish someone else's connection.
                // Expired states stay a day so the callback can say "expired" rather than "unknown".
                """
                CREATE TABLE oauth_states (
                    state_hash bytea PRIMARY KEY,
                    marketplace_id text NOT NULL REFERENCES marketplaces (id) ON DELETE CASCADE,
                    connector text NOT NULL,
                    label text NOT NULL,
                    expires_at timestamptz NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE INDEX oauth_states_expires ON oauth_states (expires_at)",
                // Typeahead: a case-insensitive prefix is a range of lower(name) in byte order ("C"), which a
                // btree serves with bound parameters too, already sorted the way the API answers.
                """
                CREATE INDEX catalog_entries_prefix
                ON catalog_entries (integration_id, kind, (lower(name)) COLLATE "C", id)
                """,
            ]
        ),
        Migration(
            version: 5, name: "claims before acting, replay outbox",
            statements: [
                // The matcher claims an event before it publishes anything for it: `done` is false while a
                // claimant (a process instance) holds it until `lease_until`; rows from before claims existed
                // are done.
                """
                ALTER TABLE processed_events ADD COLUMN claimant text,
                    ADD COLUMN lease_until timestamptz, ADD COLUMN done boolean NOT NULL DEFAULT true
                """,
                // A worker claims each attempt of an action before it performs it, and stores what the attempt
                // must publish before it publishes it: a redelivery then republishes instead of performing again.
                """
                CREATE TABLE action_claims (
                    completion_key text NOT NULL,
                    attempt integer NOT NULL,
                    claimant text NOT NULL,
                    lease_until timestamptz NOT NULL,
                    state text NOT NULL CHECK (state IN ('claimed', 'performed', 'published')),
                    followups bytea,
                    claimed_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (completion_key, attempt)
                )
                """,
                "CREATE INDEX action_claims_claimed ON action_claims (claimed_at)",
                // A replay is queued through this outbox in the same transaction that marks its entry pending,
                // so a crash between the two cannot leave the entry pending forever.
                """
                CREATE TABLE replay_outbox (
                    completion_key text PRIMARY KEY,
                    entry_id text NOT NULL,
                    connector text NOT NULL,
                    command bytea NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
            ]
        ),
        Migration(
            version: 6, name: "log entries of refused AMQP messages",
            statements: [
                // A message published over AMQP can be refused before its trigger type is known; its entry still
                // explains the refusal in the marketplace's log, with no trigger.
                "ALTER TABLE log_entries ALTER COLUMN trigger DROP NOT NULL"
            ]
        ),
        Migration(
            version: 7, name: "products seen in events, where an OAuth sign-in returns to",
            statements: [
                // The console lists a marketplace's products: those seen in events (here, with the name the
                // store last sent) and those that rules name (read from `rules`).
                """
                CREATE TABLE products (
                    marketplace_id text NOT NULL REFERENCES marketplaces (id) ON DELETE CASCADE,
                    id text NOT NULL,
                    name text,
                    last_seen_at timestamptz NOT NULL,
                    PRIMARY KEY (marketplace_id, id)
                )
                """,
                // A client that started an OAuth connection in a browser (the console) gets the browser back.
                "ALTER TABLE oauth_states ADD COLUMN return_to text",
            ]
        ),
    ]
}
