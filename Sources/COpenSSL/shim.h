#ifndef SWITCHBOARD_COPENSSL_SHIM_H
#define SWITCHBOARD_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

// Function-like macros and variadic helpers Swift cannot import.
static inline long sb_DTLSv1_get_timeout(SSL *ssl, struct timeval *tv) { return DTLSv1_get_timeout(ssl, tv); }
static inline long sb_DTLSv1_handle_timeout(SSL *ssl) { return DTLSv1_handle_timeout(ssl); }
static inline long sb_DTLS_set_link_mtu(SSL *ssl, long mtu) { return DTLS_set_link_mtu(ssl, mtu); }
static inline long sb_SSL_set_mtu(SSL *ssl, long mtu) { return SSL_set_mtu(ssl, mtu); }
static inline long sb_BIO_set_mem_eof_return(BIO *b, long v) { return BIO_set_mem_eof_return(b, v); }
static inline long sb_SSL_CTX_set_options(SSL_CTX *ctx, uint64_t op) { return (long)SSL_CTX_set_options(ctx, op); }
static inline long sb_SSL_CTX_set_read_ahead(SSL_CTX *ctx, long v) { return SSL_CTX_set_read_ahead(ctx, v); }
static inline long sb_SSL_CTX_set_ecdh_auto(SSL_CTX *ctx) { return SSL_CTX_set_ecdh_auto(ctx, 1); }
static inline long sb_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int v) { return SSL_CTX_set_min_proto_version(ctx, v); }
static inline uint64_t sb_SSL_OP_NO_QUERY_MTU(void) { return SSL_OP_NO_QUERY_MTU; }
static inline int sb_DTLS1_2_VERSION(void) { return DTLS1_2_VERSION; }
static inline EVP_PKEY *sb_EVP_EC_gen_p256(void) { return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); }
static inline ASN1_TIME *sb_X509_getm_notBefore(X509 *x) { return X509_getm_notBefore(x); }
static inline ASN1_TIME *sb_X509_getm_notAfter(X509 *x) { return X509_getm_notAfter(x); }
static inline int sb_verify_accept_all(int preverify_ok, X509_STORE_CTX *ctx) {
    // Self-signed WebRTC certificates never chain to a CA: the peer is authenticated by
    // comparing its certificate's digest with the a=fingerprint of its SDP after the handshake.
    (void)preverify_ok; (void)ctx; return 1;
}

// ---------------------------------------------------------------------------------------
// A write-side BIO that keeps DTLS datagram boundaries. OpenSSL writes one datagram per
// BIO_write for DTLS; a memory BIO would join them, so this BIO queues each write as its own
// datagram until the owner drains them (one UDP send each).
typedef struct {
    unsigned char *data;
    size_t length;
    size_t capacity;
    int sizes[64];
    int count;
    long mtu;
} sb_dgram_queue;

static int sb_dgram_bio_write(BIO *b, const char *in, int len) {
    sb_dgram_queue *q = (sb_dgram_queue *)BIO_get_data(b);
    if (q == NULL || len < 0) return -1;
    if (q->count >= 64) return -1;
    if (q->length + (size_t)len > q->capacity) {
        size_t cap = q->capacity ? q->capacity : 4096;
        while (cap < q->length + (size_t)len) cap *= 2;
        if (cap > (1u << 20)) return -1;
        unsigned char *grown = (unsigned char *)realloc(q->data, cap);
        if (grown == NULL) return -1;
        q->data = grown; q->capacity = cap;
    }
    memcpy(q->data + q->length, in, (size_t)len);
    q->length += (size_t)len;
    q->sizes[q->count++] = len;
    return len;
}

static long sb_dgram_bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
    (void)num; (void)ptr;
    sb_dgram_queue *q = (sb_dgram_queue *)BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU: return q ? q->mtu : 1200;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: return 0;
    case BIO_CTRL_WPENDING:
    case BIO_CTRL_PENDING: return 0;
    default: return 0;
    }
}

static int sb_dgram_bio_create(BIO *b) { BIO_set_init(b, 1); return 1; }
static int sb_dgram_bio_destroy(BIO *b) { (void)b; return 1; }

static inline BIO_METHOD *sb_dgram_bio_method_new(void) {
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "switchboard-dgram");
    BIO_meth_set_write(m, sb_dgram_bio_write);
    BIO_meth_set_ctrl(m, sb_dgram_bio_ctrl);
    BIO_meth_set_create(m, sb_dgram_bio_create);
    BIO_meth_set_destroy(m, sb_dgram_bio_destroy);
    return m;
}

static inline sb_dgram_queue *sb_dgram_queue_new(long mtu) {
    sb_dgram_queue *q = (sb_dgram_queue *)calloc(1, sizeof(sb_dgram_queue));
    if (q) q->mtu = mtu;
    return q;
}
static inline void sb_dgram_queue_free(sb_dgram_queue *q) { if (q) { free(q->data); free(q); } }
static inline void sb_dgram_queue_clear(sb_dgram_queue *q) { q->length = 0; q->count = 0; }
static inline int sb_dgram_queue_count(const sb_dgram_queue *q) { return q->count; }
static inline int sb_dgram_queue_size(const sb_dgram_queue *q, int i) { return q->sizes[i]; }
static inline const unsigned char *sb_dgram_queue_bytes(const sb_dgram_queue *q) { return q->data; }
static inline void sb_dgram_bio_attach(BIO *b, sb_dgram_queue *q) { BIO_set_data(b, q); }

// SRTP's HMAC-SHA1 runs on SHA_CTX states keyed once per session: the EVP digest/MAC APIs of
// OpenSSL 3.0 allocate on every (re)initialisation. The low-level calls are deprecated, not gone.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
static inline int sb_SHA1_Init(SHA_CTX *c) { return SHA1_Init(c); }
static inline int sb_SHA1_Update(SHA_CTX *c, const void *data, size_t len) { return SHA1_Update(c, data, len); }
static inline int sb_SHA1_Final(unsigned char *md, SHA_CTX *c) { return SHA1_Final(md, c); }
#pragma clang diagnostic pop

#endif
