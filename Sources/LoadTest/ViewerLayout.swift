/// How a simulated viewer shows the room's video, as `lk load-test --layout` does: it tells
/// the server the size it renders each track at (UpdateTrackSettings width/height), so the
/// server forwards each the smallest simulcast layer that fills it. The window is 1280x720.
public enum ViewerLayout: Sendable, Equatable, CustomStringConvertible {
    /// The first video track (by publisher identity, the same for every viewer) fills the
    /// window; the rest are 320x180 thumbnails.
    case speaker
    /// An n x n grid: every track in a tile of 1/n of the window.
    case grid(Int)

    static let window = (width: 1280, height: 720)

    /// "speaker", or "NxN" with N from 1 to 10.
    public init?(_ text: String) {
        if text == "speaker" {
            self = .speaker
            return
        }
        let parts = text.split(separator: "x")
        guard parts.count == 2, parts[0] == parts[1], let n = Int(parts[0]), (1...10).contains(n) else { return nil }
        self = .grid(n)
    }

    public var description: String {
        switch self {
        case .speaker: "speaker"
        case .grid(let n): "\(n)x\(n)"
        }
    }

    /// The size each of `count` video tracks is rendered at, in the order the viewer sorted them.
    func sizes(count: Int) -> [(width: Int, height: Int)] {
        switch self {
        case .speaker:
            return (0..<count).map { $0 == 0 ? Self.window : (320, 180) }
        case .grid(let n):
            return Array(repeating: (Self.window.width / n, Self.window.height / n), count: count)
        }
    }
}
