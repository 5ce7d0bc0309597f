#ifndef SWITCHBOARD_CSRTP_SHIM_H
#define SWITCHBOARD_CSRTP_SHIM_H
#include <srtp2/srtp.h>
#include <string.h>

// Builds a one-policy session for "any inbound" or "any outbound" SSRC; Swift can't use the
// macro-named policy setters or lay out the policy struct's pointer fields conveniently.
// profile: 1 = AES_CM_128_HMAC_SHA1_80, 7 = AEAD_AES_128_GCM (RFC 5764 / RFC 7714 ids).
static inline srtp_err_status_t sb_srtp_create(srtp_t *session, int profile, int inbound,
                                               unsigned char *key, unsigned long window) {
    srtp_policy_t policy;
    memset(&policy, 0, sizeof(policy));
    if (profile == 7) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
    } else if (profile == 1) {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
    } else {
        return srtp_err_status_bad_param;
    }
    policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    policy.ssrc.value = 0;
    policy.key = key;
    policy.window_size = window;
    // A forwarder resends the same packet on NACK; libsrtp must not refuse it as a replay.
    policy.allow_repeat_tx = 1;
    policy.next = NULL;
    return srtp_create(session, &policy);
}
#endif
