#ifndef SWITCHYARD_CRABBITMQ_SHIM_H
#define SWITCHYARD_CRABBITMQ_SHIM_H

#if __has_include(<rabbitmq-c/amqp.h>)
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/ssl_socket.h>
#include <rabbitmq-c/tcp_socket.h>
#else
#include <amqp.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#endif

#include <string.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/* Holds small writes back while `on` is 1 and sends them in full packets when set back to 0 (Linux TCP_CORK;
   elsewhere a no-op, each write then goes out at once as before). */
static inline void sy_socket_cork(int fd, int on) {
#ifdef TCP_CORK
    (void)setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
#else
    (void)fd;
    (void)on;
#endif
}

/* How full the socket's send queue is, as far as the kernel tells: `capacity` is how many payload bytes it
   holds before a write blocks, `queued` how many are in it (written, not yet acknowledged by the peer).
   Returns 0 when it cannot tell. rabbitmq-c 0.11 writes publishes, acks and heartbeats with an infinite
   deadline (its send loop polls for POLLOUT until the peer reads), so the connection thread only writes what
   fits. Linux accepts writes while the queued memory (payload plus per-segment overhead) is below SO_SNDBUF;
   getsockopt reports twice the requested size to cover that overhead, so half of it counts as payload room. */
static inline int sy_socket_send_queue(int fd, long *capacity, long *queued) {
    int sndbuf = 0;
    socklen_t length = sizeof(sndbuf);
    if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &length) != 0) return 0;
#if defined(__linux__) && defined(TIOCOUTQ)
    int outq = 0;
    if (ioctl(fd, TIOCOUTQ, &outq) != 0) return 0; /* SIOCOUTQ on a TCP socket */
    *capacity = (long)sndbuf / 2;
    *queued = (long)outq;
    return 1;
#elif defined(SO_NWRITE)
    int unsent = 0;
    length = sizeof(unsent);
    if (getsockopt(fd, SOL_SOCKET, SO_NWRITE, &unsent, &length) != 0) return 0;
    *capacity = (long)sndbuf;
    *queued = (long)unsent;
    return 1;
#else
    (void)capacity;
    (void)queued;
    return 0;
#endif
}

/* Asks for a send buffer of `bytes` (the kernel caps it at net.core.wmem_max); fixes its size, so the room
   that sy_socket_send_queue reports does not depend on autotuning. */
static inline void sy_socket_set_send_buffer(int fd, int bytes) {
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}

/* Swift cannot call C variadic functions: amqp_login is wrapped here for the PLAIN mechanism. */
static inline amqp_rpc_reply_t sy_login_plain(amqp_connection_state_t state, const char *vhost, int channel_max,
                                              int frame_max, int heartbeat, const char *user,
                                              const char *password) {
    return amqp_login(state, vhost, channel_max, frame_max, heartbeat, AMQP_SASL_METHOD_PLAIN, user, password);
}

/* Same as sy_login_plain, with extra client properties (e.g. connection_name) merged into the defaults. */
static inline amqp_rpc_reply_t sy_login_plain_properties(amqp_connection_state_t state, const char *vhost,
                                                         int channel_max, int frame_max, int heartbeat,
                                                         const amqp_table_t *properties, const char *user,
                                                         const char *password) {
    return amqp_login_with_properties(state, vhost, channel_max, frame_max, heartbeat, properties,
                                      AMQP_SASL_METHOD_PLAIN, user, password);
}

/* Method numbers are macros with casts, which Swift does not import. */
static inline amqp_method_number_t sy_method_basic_deliver(void) { return AMQP_BASIC_DELIVER_METHOD; }
static inline amqp_method_number_t sy_method_basic_ack(void) { return AMQP_BASIC_ACK_METHOD; }
static inline amqp_method_number_t sy_method_basic_nack(void) { return AMQP_BASIC_NACK_METHOD; }
static inline amqp_method_number_t sy_method_basic_return(void) { return AMQP_BASIC_RETURN_METHOD; }
static inline amqp_method_number_t sy_method_basic_cancel(void) { return AMQP_BASIC_CANCEL_METHOD; }
static inline amqp_method_number_t sy_method_basic_cancel_ok(void) { return AMQP_BASIC_CANCEL_OK_METHOD; }
static inline amqp_method_number_t sy_method_channel_close(void) { return AMQP_CHANNEL_CLOSE_METHOD; }
static inline amqp_method_number_t sy_method_connection_close(void) { return AMQP_CONNECTION_CLOSE_METHOD; }
static inline amqp_method_number_t sy_method_connection_blocked(void) { return AMQP_CONNECTION_BLOCKED_METHOD; }
static inline amqp_method_number_t sy_method_connection_unblocked(void) {
    return AMQP_CONNECTION_UNBLOCKED_METHOD;
}

/* Property flags of amqp_basic_properties_t. */
static inline amqp_flags_t sy_flag_content_type(void) { return AMQP_BASIC_CONTENT_TYPE_FLAG; }
static inline amqp_flags_t sy_flag_headers(void) { return AMQP_BASIC_HEADERS_FLAG; }
static inline amqp_flags_t sy_flag_delivery_mode(void) { return AMQP_BASIC_DELIVERY_MODE_FLAG; }
static inline amqp_flags_t sy_flag_correlation_id(void) { return AMQP_BASIC_CORRELATION_ID_FLAG; }
static inline amqp_flags_t sy_flag_reply_to(void) { return AMQP_BASIC_REPLY_TO_FLAG; }
static inline amqp_flags_t sy_flag_expiration(void) { return AMQP_BASIC_EXPIRATION_FLAG; }
static inline amqp_flags_t sy_flag_message_id(void) { return AMQP_BASIC_MESSAGE_ID_FLAG; }
static inline amqp_flags_t sy_flag_type(void) { return AMQP_BASIC_TYPE_FLAG; }
static inline amqp_flags_t sy_flag_user_id(void) { return AMQP_BASIC_USER_ID_FLAG; }

/* Field values: building and reading the union from Swift. */
static inline amqp_field_value_t sy_field_utf8(amqp_bytes_t bytes) {
    amqp_field_value_t v;
    memset(&v, 0, sizeof(v));
    v.kind = AMQP_FIELD_KIND_UTF8;
    v.value.bytes = bytes;
    return v;
}
static inline amqp_field_value_t sy_field_i64(int64_t value) {
    amqp_field_value_t v;
    memset(&v, 0, sizeof(v));
    v.kind = AMQP_FIELD_KIND_I64;
    v.value.i64 = value;
    return v;
}
static inline amqp_field_value_t sy_field_bool(int value) {
    amqp_field_value_t v;
    memset(&v, 0, sizeof(v));
    v.kind = AMQP_FIELD_KIND_BOOLEAN;
    v.value.boolean = value ? 1 : 0;
    return v;
}

static inline amqp_field_value_t sy_field_table(amqp_table_t table) {
    amqp_field_value_t v;
    memset(&v, 0, sizeof(v));
    v.kind = AMQP_FIELD_KIND_TABLE;
    v.value.table = table;
    return v;
}

/* Reads a field as a string; returns 1 when it is a UTF-8 or byte string. */
static inline int sy_field_as_bytes(const amqp_field_value_t *v, amqp_bytes_t *out) {
    if (v->kind == AMQP_FIELD_KIND_UTF8 || v->kind == AMQP_FIELD_KIND_BYTES) {
        *out = v->value.bytes;
        return 1;
    }
    return 0;
}
/* Reads a field as an integer; returns 1 for any integer kind that fits in int64. */
static inline int sy_field_as_int(const amqp_field_value_t *v, int64_t *out) {
    switch (v->kind) {
    case AMQP_FIELD_KIND_I8: *out = v->value.i8; return 1;
    case AMQP_FIELD_KIND_U8: *out = v->value.u8; return 1;
    case AMQP_FIELD_KIND_I16: *out = v->value.i16; return 1;
    case AMQP_FIELD_KIND_U16: *out = v->value.u16; return 1;
    case AMQP_FIELD_KIND_I32: *out = v->value.i32; return 1;
    case AMQP_FIELD_KIND_U32: *out = v->value.u32; return 1;
    case AMQP_FIELD_KIND_I64: *out = v->value.i64; return 1;
    case AMQP_FIELD_KIND_U64:
    case AMQP_FIELD_KIND_TIMESTAMP:
        if (v->value.u64 > (uint64_t)INT64_MAX) return 0;
        *out = (int64_t)v->value.u64;
        return 1;
    default: return 0;
    }
}
/* Reads a field as a boolean; returns 1 when it is one. */
static inline int sy_field_as_bool(const amqp_field_value_t *v, int *out) {
    if (v->kind == AMQP_FIELD_KIND_BOOLEAN) {
        *out = v->value.boolean ? 1 : 0;
        return 1;
    }
    return 0;
}

/* Replies the broker expects after it closed a channel or the connection. */
static inline int sy_send_channel_close_ok(amqp_connection_state_t state, amqp_channel_t channel) {
    amqp_channel_close_ok_t ok;
    memset(&ok, 0, sizeof(ok));
    return amqp_send_method(state, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
}
static inline int sy_send_connection_close_ok(amqp_connection_state_t state) {
    amqp_connection_close_ok_t ok;
    memset(&ok, 0, sizeof(ok));
    return amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
}

/* Asks the broker to cancel a consumer without waiting for cancel-ok (it arrives through the frame loop). */
static inline int sy_send_basic_cancel(amqp_connection_state_t state, amqp_channel_t channel, amqp_bytes_t tag) {
    amqp_basic_cancel_t req;
    memset(&req, 0, sizeof(req));
    req.consumer_tag = tag;
    req.nowait = 0;
    return amqp_send_method(state, channel, AMQP_BASIC_CANCEL_METHOD, &req);
}

#endif
