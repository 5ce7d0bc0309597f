#ifndef SWITCHBOARD_CUSRSCTP_SHIM_H
#define SWITCHBOARD_CUSRSCTP_SHIM_H
// usrsctp in AF_CONN mode: SCTP packets go to and come from our DTLS transport, never a socket.
// These helpers fill the option and address structs that Swift would otherwise lay out by hand.
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <usrsctp.h>

static inline struct sockaddr_conn sb_sctp_address(void *addr, uint16_t port) {
    struct sockaddr_conn sconn;
    memset(&sconn, 0, sizeof(sconn));
    sconn.sconn_family = AF_CONN;
    sconn.sconn_port = htons(port);
    sconn.sconn_addr = addr;
    return sconn;
}

/// Non-blocking, abort on close, no Nagle, stream resets, the notifications a data channel
/// endpoint needs, up to 1024 streams each way, a send buffer of `sendBuffer` bytes (a full one
/// makes sends fail with EWOULDBLOCK), and messages up to `maxMessage` bytes handed over whole
/// (partial delivery only beyond that). Returns 0 or the errno of the failing option.
static inline int sb_sctp_configure(struct socket *so, int sendBuffer, int maxMessage) {
    if (usrsctp_set_non_blocking(so, 1) < 0) return errno;
    if (usrsctp_setsockopt(so, SOL_SOCKET, SO_SNDBUF, &sendBuffer, sizeof(sendBuffer)) < 0) return errno;
    int receiveBuffer = 4 * maxMessage > (1 << 20) ? 4 * maxMessage : (1 << 20);
    if (usrsctp_setsockopt(so, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof(receiveBuffer)) < 0) return errno;
    uint32_t partialPoint = (uint32_t)maxMessage + 1;
    if (usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_PARTIAL_DELIVERY_POINT, &partialPoint, sizeof(partialPoint)) < 0) return errno;
    struct linger lingerOpt = { .l_onoff = 1, .l_linger = 0 };
    if (usrsctp_setsockopt(so, SOL_SOCKET, SO_LINGER, &lingerOpt, sizeof(lingerOpt)) < 0) return errno;
    struct sctp_assoc_value reset = { .assoc_id = SCTP_ALL_ASSOC,
                                      .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ | SCTP_ENABLE_CHANGE_ASSOC_REQ };
    if (usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &reset, sizeof(reset)) < 0) return errno;
    int one = 1;
    if (usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof(one)) < 0) return errno;
    if (usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_RECVRCVINFO, &one, sizeof(one)) < 0) return errno;
    // Fragments are handed over whole: interleaving would need I-DATA, which WebRTC stacks differ on.
    int zero = 0;
    if (usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_FRAGMENT_INTERLEAVE, &zero, sizeof(zero)) < 0) return errno;
    struct sctp_initmsg init;
    memset(&init, 0, sizeof(init));
    init.sinit_num_ostreams = 1024;
    init.sinit_max_instreams = 1024;
    if (usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init)) < 0) return errno;
    uint16_t events[] = { SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT, SCTP_SEND_FAILED_EVENT, SCTP_SENDER_DRY_EVENT,
                          SCTP_PARTIAL_DELIVERY_EVENT };
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        struct sctp_event event;
        memset(&event, 0, sizeof(event));
        event.se_assoc_id = SCTP_ALL_ASSOC;
        event.se_on = 1;
        event.se_type = events[i];
        if (usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_EVENT, &event, sizeof(event)) < 0) return errno;
    }
    return 0;
}

static inline int sb_sctp_bind(struct socket *so, void *addr, uint16_t port) {
    struct sockaddr_conn sconn = sb_sctp_address(addr, port);
    return usrsctp_bind(so, (struct sockaddr *)&sconn, sizeof(sconn)) < 0 ? errno : 0;
}

/// Starts the association (both ends connect: WebRTC's simultaneous open). EINPROGRESS is normal.
static inline int sb_sctp_connect(struct socket *so, void *addr, uint16_t port) {
    struct sockaddr_conn sconn = sb_sctp_address(addr, port);
    if (usrsctp_connect(so, (struct sockaddr *)&sconn, sizeof(sconn)) < 0 && errno != EINPROGRESS) return errno;
    return 0;
}

/// Sends one message. policy 0: fully reliable; 1: at most `limit` retransmissions; 2: give up
/// after `limit` ms (PR-SCTP, RFC 3758). Returns 0 or an errno (EWOULDBLOCK: the send buffer is
/// full; EMSGSIZE: too large).
static inline int sb_sctp_send(struct socket *so, uint16_t sid, uint32_t ppid, int ordered, int policy, uint32_t limit,
                               const void *data, size_t length) {
    struct sctp_sendv_spa spa;
    memset(&spa, 0, sizeof(spa));
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = sid;
    spa.sendv_sndinfo.snd_ppid = htonl(ppid);
    spa.sendv_sndinfo.snd_flags = SCTP_EOR | (ordered ? 0 : SCTP_UNORDERED);
    if (policy == 1 || policy == 2) {
        spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
        spa.sendv_prinfo.pr_policy = policy == 1 ? SCTP_PR_SCTP_RTX : SCTP_PR_SCTP_TTL;
        spa.sendv_prinfo.pr_value = limit;
    }
    // An empty message cannot be sent: WebRTC sends one zero byte with the "empty" PPID instead.
    static const uint8_t zeroByte = 0;
    if (length == 0) { data = &zeroByte; length = 1; }
    ssize_t sent = usrsctp_sendv(so, data, length, NULL, 0, &spa, sizeof(spa), SCTP_SENDV_SPA, 0);
    return sent < 0 ? errno : 0;
}

/// Resets (closes) the outgoing side of a stream, RFC 6525; the peer resets its side in turn.
static inline int sb_sctp_reset_stream(struct socket *so, uint16_t sid) {
    size_t size = sizeof(struct sctp_reset_streams) + sizeof(uint16_t);
    struct sctp_reset_streams *reset = (struct sctp_reset_streams *)calloc(1, size);
    if (!reset) return ENOMEM;
    reset->srs_assoc_id = SCTP_ALL_ASSOC;
    reset->srs_flags = SCTP_STREAM_RESET_OUTGOING;
    reset->srs_number_streams = 1;
    reset->srs_stream_list[0] = sid;
    int rc = usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_RESET_STREAMS, reset, (socklen_t)size) < 0 ? errno : 0;
    free(reset);
    return rc;
}

/// SCTP packets usrsctp dropped on input for being malformed or not ours: shorter than a header,
/// bad checksum, no endpoint for the port, wrong verification tag, bad stream id. Process-wide.
static inline uint64_t sb_sctp_input_dropped(void) {
    struct sctpstat stat;
    memset(&stat, 0, sizeof(stat));
    usrsctp_get_stat(&stat);
    return (uint64_t)stat.sctps_hdrops + stat.sctps_badsum + stat.sctps_noport + stat.sctps_badvtag + stat.sctps_badsid;
}

// Notification fields Swift cannot reach through the union without layout code of its own.
static inline uint16_t sb_sctp_notification_type(const void *data) {
    return ((const union sctp_notification *)data)->sn_header.sn_type;
}
/// Partial delivery aborted (the peer abandoned a message being delivered in parts): its stream.
static inline uint32_t sb_sctp_pdapi_stream(const void *data) {
    return ((const union sctp_notification *)data)->sn_pdapi_event.pdapi_stream;
}
static inline uint16_t sb_sctp_assoc_change_state(const void *data) {
    return ((const union sctp_notification *)data)->sn_assoc_change.sac_state;
}
/// Stream reset event: flags and the number of streams; the ids via sb_sctp_reset_stream_id.
static inline uint16_t sb_sctp_reset_event_flags(const void *data) {
    return ((const union sctp_notification *)data)->sn_strreset_event.strreset_flags;
}
static inline size_t sb_sctp_reset_event_count(const void *data, size_t length) {
    const struct sctp_stream_reset_event *e = &((const union sctp_notification *)data)->sn_strreset_event;
    if (length < sizeof(*e) || e->strreset_length < sizeof(*e)) return 0;
    size_t declared = (e->strreset_length - sizeof(*e)) / sizeof(uint16_t);
    size_t present = (length - sizeof(*e)) / sizeof(uint16_t);
    return declared < present ? declared : present;
}
static inline uint16_t sb_sctp_reset_event_stream(const void *data, size_t index) {
    return ((const union sctp_notification *)data)->sn_strreset_event.strreset_stream_list[index];
}
#endif
