#ifndef SWITCHBOARD_CZLIB_SHIM_H
#define SWITCHBOARD_CZLIB_SHIM_H
#include <zlib.h>
#include <string.h>

/// Inflates raw DEFLATE (RFC 1951, no zlib header) from `in` into `out`. Returns the bytes
/// written, -1 if the input is not valid DEFLATE or is cut short, -2 if the output would
/// exceed `outCapacity`.
static inline long sb_inflate_raw(const unsigned char *in, size_t inLength, unsigned char *out, size_t outCapacity) {
    z_stream stream;
    memset(&stream, 0, sizeof(stream));
    if (inflateInit2(&stream, -15) != Z_OK) return -1;
    stream.next_in = (Bytef *)in;
    stream.avail_in = (uInt)inLength;
    stream.next_out = out;
    stream.avail_out = (uInt)outCapacity;
    int rc = inflate(&stream, Z_FINISH);
    long written = (long)(outCapacity - stream.avail_out);
    inflateEnd(&stream);
    if (rc == Z_STREAM_END) return written;
    if (rc == Z_BUF_ERROR && stream.avail_out == 0) return -2;
    return -1;
}
#endif
