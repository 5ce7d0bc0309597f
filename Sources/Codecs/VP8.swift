// libvpx VP8 wrappers: realtime one-pass encoding and decoding of I420 pictures.
//
// Ownership: each instance owns one vpx_codec_ctx_t (and, for the encoder, one vpx_image_t
// staging buffer and its configuration) and frees them in deinit. No pointer leaves this file.
internal import CVPX

private func vpxMessage(_ code: vpx_codec_err_t) -> String {
    guard let cString = vpx_codec_err_to_string(code) else { return "unknown error" }
    return String(cString: cString)
}

/// Builds an error from a libvpx return code, picking up the context's detail string.
private func vpxError(_ operation: String, _ code: vpx_codec_err_t, _ ctx: UnsafeMutablePointer<vpx_codec_ctx_t>?) -> VPXError {
    var detail: String?
    if let ctx, let d = vpx_codec_error_detail(ctx) { detail = String(cString: d) }
    return VPXError(operation: operation, code: Int32(bitPattern: code.rawValue), message: vpxMessage(code), detail: detail)
}

private func invalidParameter(_ operation: String, _ detail: String) -> VPXError {
    VPXError(operation: operation, code: VPXError.invalidParameter,
             message: vpxMessage(VPX_CODEC_INVALID_PARAM), detail: detail)
}

/// One compressed VP8 frame as produced by `VP8Encoder`.
public struct VP8EncodedFrame: Sendable, Equatable {
    /// The VP8 bitstream for one frame (what RFC 7741 packetization splits into RTP payloads).
    public let data: [UInt8]
    public let isKeyframe: Bool
    /// Presentation timestamp in units of 1/fps (the encoder's frame counter).
    public let pts: Int64

    public init(data: [UInt8], isKeyframe: Bool, pts: Int64) {
        self.data = data
        self.isKeyframe = isKeyframe
        self.pts = pts
    }
}

/// VP8 encoder configured the way WebRTC senders are: one pass, CBR, no lag, realtime deadline.
///
/// Single owner: an instance is not safe to use from two threads at once. It is marked
/// `@unchecked Sendable` only so that it can be handed to (and then used by) one owner at a
/// time — an actor, a serial queue, or a task — which serializes every call.
public final class VP8Encoder: @unchecked Sendable {
    public let width: Int
    public let height: Int
    public let fps: Int
    /// Target bitrate in kbit/s (see `setTargetBitrate(kbps:)`).
    public private(set) var targetBitrateKbps: Int
    /// Maximum distance between keyframes, in frames.
    public let keyframeInterval: Int
    public let errorResilient: Bool

    private let ctx: UnsafeMutablePointer<vpx_codec_ctx_t>
    private let config: UnsafeMutablePointer<vpx_codec_enc_cfg_t>
    private let image: UnsafeMutablePointer<vpx_image_t>
    private var nextPTS: Int64 = 0

    /// - Parameters:
    ///   - width, height: picture size, 1...16383 (odd sizes are fine).
    ///   - fps: frame rate; the timebase is 1/fps and every `encode` advances pts by one.
    ///   - targetBitrateKbps: CBR target in kbit/s.
    ///   - keyframeInterval: maximum frames between keyframes (automatic keyframes may come sooner).
    ///   - errorResilient: `VPX_ERROR_RESILIENT_DEFAULT` (recommended when packets can be lost).
    ///   - cpuUsed: `VP8E_SET_CPUUSED`, -16...16; larger magnitude is faster (WebRTC uses -6).
    ///   - threads: encoder threads.
    public init(
        width: Int,
        height: Int,
        fps: Int = 30,
        targetBitrateKbps: Int = 800,
        keyframeInterval: Int = 3_000,
        errorResilient: Bool = true,
        cpuUsed: Int = -6,
        threads: Int = 1
    ) throws(VPXError) {
        let op = "VP8Encoder.init"
        guard (1...I420Frame.maxDimension).contains(width), (1...I420Frame.maxDimension).contains(height) else {
            throw invalidParameter(op, "dimensions \(width)x\(height) outside 1...\(I420Frame.maxDimension)")
        }
        guard (1...1_000).contains(fps) else { throw invalidParameter(op, "fps \(fps) outside 1...1000") }
        guard targetBitrateKbps > 0, targetBitrateKbps <= 1_000_000 else {
            throw invalidParameter(op, "targetBitrateKbps \(targetBitrateKbps) outside 1...1000000")
        }
        guard keyframeInterval > 0 else { throw invalidParameter(op, "keyframeInterval must be positive") }
        guard (-16...16).contains(cpuUsed) else { throw invalidParameter(op, "cpuUsed \(cpuUsed) outside -16...16") }
        guard (1...64).contains(threads) else { throw invalidParameter(op, "threads \(threads) outside 1...64") }

        let config = UnsafeMutablePointer<vpx_codec_enc_cfg_t>.allocate(capacity: 1)
        config.initialize(to: vpx_codec_enc_cfg_t())
        var res = sb_vpx_vp8_enc_default_config(config)
        guard res == VPX_CODEC_OK else {
            config.deallocate()
            throw vpxError("vpx_codec_enc_config_default", res, nil)
        }
        config.pointee.g_w = UInt32(width)
        config.pointee.g_h = UInt32(height)
        config.pointee.g_timebase = vpx_rational(num: 1, den: Int32(fps))
        config.pointee.g_threads = UInt32(threads)
        config.pointee.g_pass = VPX_RC_ONE_PASS
        config.pointee.g_lag_in_frames = 0
        config.pointee.g_error_resilient = errorResilient ? 0x1 /* VPX_ERROR_RESILIENT_DEFAULT */ : 0
        config.pointee.rc_end_usage = VPX_CBR
        config.pointee.rc_target_bitrate = UInt32(targetBitrateKbps)
        config.pointee.rc_dropframe_thresh = 0  // never silently drop: one input, one output
        config.pointee.rc_min_quantizer = 2
        config.pointee.rc_max_quantizer = 56
        config.pointee.rc_undershoot_pct = 100
        config.pointee.rc_overshoot_pct = 15
        config.pointee.rc_buf_initial_sz = 500
        config.pointee.rc_buf_optimal_sz = 600
        config.pointee.rc_buf_sz = 1_000
        config.pointee.kf_mode = VPX_KF_AUTO
        config.pointee.kf_min_dist = 0
        config.pointee.kf_max_dist = UInt32(keyframeInterval)

        let ctx = UnsafeMutablePointer<vpx_codec_ctx_t>.allocate(capacity: 1)
        ctx.initialize(to: vpx_codec_ctx_t())
        res = sb_vpx_vp8_enc_init(ctx, config)
        guard res == VPX_CODEC_OK else {
            let error = vpxError("vpx_codec_enc_init", res, ctx)
            ctx.deallocate()
            config.deallocate()
            throw error
        }
        res = sb_vpx_set_cpuused(ctx, Int32(cpuUsed))
        guard res == VPX_CODEC_OK else {
            let error = vpxError("VP8E_SET_CPUUSED", res, ctx)
            vpx_codec_destroy(ctx)
            ctx.deallocate()
            config.deallocate()
            throw error
        }
        guard let image = vpx_img_alloc(nil, VPX_IMG_FMT_I420, UInt32(width), UInt32(height), 16) else {
            vpx_codec_destroy(ctx)
            ctx.deallocate()
            config.deallocate()
            throw VPXError(operation: "vpx_img_alloc", code: VPXError.memoryError,
                           message: vpxMessage(VPX_CODEC_MEM_ERROR))
        }

        self.ctx = ctx
        self.config = config
        self.image = image
        self.width = width
        self.height = height
        self.fps = fps
        self.targetBitrateKbps = targetBitrateKbps
        self.keyframeInterval = keyframeInterval
        self.errorResilient = errorResilient
    }

    deinit {
        vpx_codec_destroy(ctx)
        ctx.deallocate()
        vpx_img_free(image)
        config.deallocate()
    }

    /// Changes the CBR target on the fly (e.g. in response to REMB / transport-cc estimates).
    public func setTargetBitrate(kbps: Int) throws(VPXError) {
        guard kbps > 0, kbps <= 1_000_000 else {
            throw invalidParameter("vpx_codec_enc_config_set", "kbps \(kbps) outside 1...1000000")
        }
        let previous = config.pointee.rc_target_bitrate
        config.pointee.rc_target_bitrate = UInt32(kbps)
        let res = vpx_codec_enc_config_set(ctx, config)
        guard res == VPX_CODEC_OK else {
            config.pointee.rc_target_bitrate = previous
            throw vpxError("vpx_codec_enc_config_set", res, ctx)
        }
        targetBitrateKbps = kbps
    }

    /// Encodes one picture with the realtime deadline. Usually returns exactly one frame; the
    /// array form keeps the API honest about libvpx's packet iterator.
    ///
    /// - Parameters:
    ///   - i420: must have the encoder's width and height.
    ///   - forceKeyframe: code this picture as a keyframe (answer to a PLI / FIR).
    public func encode(i420 frame: I420Frame, forceKeyframe: Bool = false) throws(VPXError) -> [VP8EncodedFrame] {
        guard frame.width == width, frame.height == height else {
            throw invalidParameter("vpx_codec_encode",
                                   "frame is \(frame.width)x\(frame.height), encoder is \(width)x\(height)")
        }
        copy(frame, into: image)
        let pts = nextPTS
        let flags: vpx_enc_frame_flags_t = forceKeyframe ? 1 /* VPX_EFLAG_FORCE_KF */ : 0
        let res = vpx_codec_encode(ctx, image, pts, 1, flags, 1 /* VPX_DL_REALTIME */)
        guard res == VPX_CODEC_OK else { throw vpxError("vpx_codec_encode", res, ctx) }
        nextPTS += 1
        return drainPackets()
    }

    /// Flushes the encoder (no-op for lag 0, but harmless): returns any frames still queued.
    public func flush() throws(VPXError) -> [VP8EncodedFrame] {
        let res = vpx_codec_encode(ctx, nil, nextPTS, 1, 0, 1)
        guard res == VPX_CODEC_OK else { throw vpxError("vpx_codec_encode(flush)", res, ctx) }
        return drainPackets()
    }

    private func drainPackets() -> [VP8EncodedFrame] {
        var frames: [VP8EncodedFrame] = []
        var iterator: vpx_codec_iter_t?
        while let packet = vpx_codec_get_cx_data(ctx, &iterator) {
            guard packet.pointee.kind == VPX_CODEC_CX_FRAME_PKT else { continue }
            let info = packet.pointee.data.frame
            var bytes: [UInt8] = []
            if let buf = info.buf, info.sz > 0 {
                bytes = Array(UnsafeRawBufferPointer(start: buf, count: Int(info.sz)))
            }
            frames.append(VP8EncodedFrame(
                data: bytes,
                isKeyframe: info.flags & 0x1 /* VPX_FRAME_IS_KEY */ != 0,
                pts: info.pts))
        }
        return frames
    }

    private func copy(_ frame: I420Frame, into image: UnsafeMutablePointer<vpx_image_t>) {
        copyPlane(frame.y, width: frame.width, height: frame.height,
                  to: image.pointee.planes.0, stride: Int(image.pointee.stride.0))
        copyPlane(frame.u, width: frame.chromaWidth, height: frame.chromaHeight,
                  to: image.pointee.planes.1, stride: Int(image.pointee.stride.1))
        copyPlane(frame.v, width: frame.chromaWidth, height: frame.chromaHeight,
                  to: image.pointee.planes.2, stride: Int(image.pointee.stride.2))
    }

    private func copyPlane(_ plane: [UInt8], width: Int, height: Int, to dest: UnsafeMutablePointer<UInt8>?, stride: Int) {
        guard let dest else { return }
        plane.withUnsafeBufferPointer { src in
            guard let base = src.baseAddress else { return }
            for row in 0..<height {
                (dest + row * stride).update(from: base + row * width, count: width)
            }
        }
    }
}

/// VP8 decoder returning packed I420 pictures.
///
/// Single owner: an instance is not safe to use from two threads at once. It is marked
/// `@unchecked Sendable` only so that it can be handed to (and then used by) one owner at a
/// time — an actor, a serial queue, or a task — which serializes every call.
public final class VP8Decoder: @unchecked Sendable {
    private let ctx: UnsafeMutablePointer<vpx_codec_ctx_t>

    public init() throws(VPXError) {
        let ctx = UnsafeMutablePointer<vpx_codec_ctx_t>.allocate(capacity: 1)
        ctx.initialize(to: vpx_codec_ctx_t())
        let res = sb_vpx_vp8_dec_init(ctx)
        guard res == VPX_CODEC_OK else {
            let error = vpxError("vpx_codec_dec_init", res, ctx)
            ctx.deallocate()
            throw error
        }
        self.ctx = ctx
    }

    deinit {
        vpx_codec_destroy(ctx)
        ctx.deallocate()
    }

    /// Decodes one complete VP8 frame (all RTP payloads of a picture, descriptor stripped).
    ///
    /// Returns `nil` when the frame produced no picture to show (e.g. an invisible frame).
    /// Throws `VPXError` for corrupt or unsupported data (e.g. an inter frame before the first
    /// keyframe); the decoder then usually needs a keyframe to resynchronize.
    public func decode(frame data: [UInt8]) throws(VPXError) -> I420Frame? {
        guard !data.isEmpty else { throw invalidParameter("vpx_codec_decode", "empty frame") }
        guard data.count <= Int(UInt32.max) else { throw invalidParameter("vpx_codec_decode", "frame too large") }
        let res = data.withUnsafeBufferPointer { buffer in
            vpx_codec_decode(ctx, buffer.baseAddress, UInt32(buffer.count), nil, 0)
        }
        guard res == VPX_CODEC_OK else { throw vpxError("vpx_codec_decode", res, ctx) }

        var picture: I420Frame?
        var iterator: vpx_codec_iter_t?
        while let image = vpx_codec_get_frame(ctx, &iterator) {
            picture = try makeFrame(image)
        }
        return picture
    }

    private func makeFrame(_ image: UnsafeMutablePointer<vpx_image_t>) throws(VPXError) -> I420Frame {
        let img = image.pointee
        guard img.fmt == VPX_IMG_FMT_I420 || img.fmt == VPX_IMG_FMT_YV12 else {
            throw VPXError(operation: "vpx_codec_get_frame", code: VPXError.unsupportedFeature,
                           message: vpxMessage(VPX_CODEC_UNSUP_FEATURE),
                           detail: "decoded image format \(img.fmt.rawValue) is not 8-bit 4:2:0")
        }
        let width = Int(img.d_w), height = Int(img.d_h)
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        // YV12 stores V before U; planes[] is already indexed by VPX_PLANE_U / VPX_PLANE_V.
        let y = readPlane(img.planes.0, stride: Int(img.stride.0), width: width, height: height)
        let u = readPlane(img.planes.1, stride: Int(img.stride.1), width: cw, height: ch)
        let v = readPlane(img.planes.2, stride: Int(img.stride.2), width: cw, height: ch)
        do {
            return try I420Frame(width: width, height: height, y: y, u: u, v: v)
        } catch {
            throw VPXError(operation: "vpx_codec_get_frame", code: VPXError.error,
                           message: vpxMessage(VPX_CODEC_ERROR), detail: error.description)
        }
    }

    private func readPlane(_ src: UnsafeMutablePointer<UInt8>?, stride: Int, width: Int, height: Int) -> [UInt8] {
        guard let src else { return [] }
        var out = [UInt8](repeating: 0, count: width * height)
        out.withUnsafeMutableBufferPointer { dest in
            guard let base = dest.baseAddress else { return }
            for row in 0..<height {
                (base + row * width).update(from: src + row * stride, count: width)
            }
        }
        return out
    }
}
