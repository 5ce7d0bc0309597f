// Planar YUV 4:2:0 (I420) picture with tightly packed planes.
import Foundation

/// An I420 picture: full-resolution Y plane, quarter-resolution U and V planes.
///
/// Planes are packed: the stride of Y is `width`, of U and V `chromaWidth`. For odd dimensions
/// the chroma planes round up (`chromaWidth = (width + 1) / 2`), as libvpx does.
public struct I420Frame: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `width * height` bytes, row-major.
    public private(set) var y: [UInt8]
    /// `chromaWidth * chromaHeight` bytes, row-major.
    public private(set) var u: [UInt8]
    /// `chromaWidth * chromaHeight` bytes, row-major.
    public private(set) var v: [UInt8]

    public var chromaWidth: Int { (width + 1) / 2 }
    public var chromaHeight: Int { (height + 1) / 2 }
    public var yStride: Int { width }
    public var uvStride: Int { chromaWidth }

    /// Largest dimension VP8 can code (14-bit fields).
    public static let maxDimension = 16_383

    /// Wraps packed planes, checking their sizes.
    public init(width: Int, height: Int, y: [UInt8], u: [UInt8], v: [UInt8]) throws(I420FrameError) {
        try Self.checkDimensions(width, height)
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        guard y.count == width * height else {
            throw I420FrameError("Y plane has \(y.count) bytes, expected \(width * height)")
        }
        guard u.count == cw * ch, v.count == cw * ch else {
            throw I420FrameError("U/V planes have \(u.count)/\(v.count) bytes, expected \(cw * ch)")
        }
        self.width = width
        self.height = height
        self.y = y
        self.u = u
        self.v = v
    }

    /// Copies planes that have row padding (strides larger than the visible width) into a
    /// packed frame. Each plane must hold at least `stride * (rows - 1) + visibleWidth` bytes.
    public init(
        width: Int, height: Int,
        y: [UInt8], yStride: Int,
        u: [UInt8], uStride: Int,
        v: [UInt8], vStride: Int
    ) throws(I420FrameError) {
        try Self.checkDimensions(width, height)
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        func pack(_ plane: [UInt8], _ stride: Int, _ w: Int, _ h: Int, _ name: String) throws(I420FrameError) -> [UInt8] {
            guard stride >= w else { throw I420FrameError("\(name) stride \(stride) < width \(w)") }
            guard plane.count >= stride * (h - 1) + w else {
                throw I420FrameError("\(name) plane has \(plane.count) bytes, needs \(stride * (h - 1) + w)")
            }
            if stride == w { return Array(plane[0..<(w * h)]) }
            var out = [UInt8]()
            out.reserveCapacity(w * h)
            for row in 0..<h { out.append(contentsOf: plane[(row * stride)..<(row * stride + w)]) }
            return out
        }
        self.width = width
        self.height = height
        self.y = try pack(y, yStride, width, height, "Y")
        self.u = try pack(u, uStride, cw, ch, "U")
        self.v = try pack(v, vStride, cw, ch, "V")
    }

    /// A uniform frame (defaults to black: Y 16, U/V 128 in video range).
    public init(width: Int, height: Int, luma: UInt8 = 16, cb: UInt8 = 128, cr: UInt8 = 128) throws(I420FrameError) {
        try Self.checkDimensions(width, height)
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        self.width = width
        self.height = height
        self.y = [UInt8](repeating: luma, count: width * height)
        self.u = [UInt8](repeating: cb, count: cw * ch)
        self.v = [UInt8](repeating: cr, count: cw * ch)
    }

    private static func checkDimensions(_ width: Int, _ height: Int) throws(I420FrameError) {
        guard (1...maxDimension).contains(width), (1...maxDimension).contains(height) else {
            throw I420FrameError("dimensions \(width)x\(height) outside 1...\(maxDimension)")
        }
    }

    /// Synthetic moving test pattern: a diagonal luma gradient that scrolls, a bright square
    /// moving across it, and slowly shifting chroma. Deterministic in `frameIndex`; smooth
    /// enough that a sane encoder reconstructs it well (useful for PSNR checks and load tests).
    public static func testPattern(width: Int, height: Int, frameIndex: Int) throws(I420FrameError) -> I420Frame {
        var frame = try I420Frame(width: width, height: height)
        let t = frameIndex
        let box = max(4, min(width, height) / 4)
        let boxX = (t * 4) % max(1, width - box + 1)
        let boxY = (t * 3) % max(1, height - box + 1)
        for row in 0..<height {
            let base = row * width
            for col in 0..<width {
                var value = 32 + ((col + row + 2 * t) % 128)
                if col >= boxX, col < boxX + box, row >= boxY, row < boxY + box { value = 220 }
                frame.y[base + col] = UInt8(value)
            }
        }
        let cw = frame.chromaWidth, ch = frame.chromaHeight
        for row in 0..<ch {
            for col in 0..<cw {
                frame.u[row * cw + col] = UInt8(96 + ((col + t) % 64))
                frame.v[row * cw + col] = UInt8(96 + ((row + t) % 64))
            }
        }
        return frame
    }

    /// Peak signal-to-noise ratio in dB over all three planes against `reference`
    /// (`.infinity` when identical, `nil` if the dimensions differ).
    public func psnr(against reference: I420Frame) -> Double? {
        guard width == reference.width, height == reference.height else { return nil }
        var squaredError = 0.0
        for (a, b) in [(y, reference.y), (u, reference.u), (v, reference.v)] {
            for i in a.indices {
                let d = Double(Int(a[i]) - Int(b[i]))
                squaredError += d * d
            }
        }
        let samples = Double(y.count + u.count + v.count)
        let mse = squaredError / samples
        if mse == 0 { return .infinity }
        return 10 * log10(255.0 * 255.0 / mse)
    }
}
