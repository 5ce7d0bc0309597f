#ifndef SWITCHBOARD_COPUS_SHIM_H
#define SWITCHBOARD_COPUS_SHIM_H
#include <opus/opus.h>

// opus_*_ctl are variadic: Swift cannot call them, so each request we use gets a wrapper.
static inline int sb_opus_encoder_set_bitrate(OpusEncoder *enc, opus_int32 bps) {
    return opus_encoder_ctl(enc, OPUS_SET_BITRATE(bps));
}
static inline int sb_opus_encoder_set_inband_fec(OpusEncoder *enc, opus_int32 on) {
    return opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(on));
}
static inline int sb_opus_encoder_set_packet_loss_perc(OpusEncoder *enc, opus_int32 pct) {
    return opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(pct));
}
static inline int sb_opus_encoder_get_lookahead(OpusEncoder *enc, opus_int32 *out) {
    return opus_encoder_ctl(enc, OPUS_GET_LOOKAHEAD(out));
}
#endif
