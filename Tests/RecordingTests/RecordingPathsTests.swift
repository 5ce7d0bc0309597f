import Foundation
@testable import Recording
import XCTest

/// File paths of recordings: templates, extensions, default names, and nothing outside the
/// recordings directory.
final class RecordingPathsTests: XCTestCase {
    private var directory: URL!
    private var paths: RecordingPaths!
    private let values = RecordingPaths.values(roomName: "room/1", roomSid: "RM_x", identity: "alice", trackSid: "TR_a",
                                               trackType: "audio", now: Date(timeIntervalSince1970: 1_800_000_000))

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("recording-paths")
        paths = try RecordingPaths(root: directory.appendingPathComponent("rec").path)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func resolve(_ requested: String, ext: String = "ogg") throws -> String {
        try paths.newFile(requested: requested, defaultName: "{room_name}-{track_id}-{time}", fileExtension: ext,
                          values: values).relative
    }

    func testTemplatesExtensionsAndDirectories() throws {
        XCTAssertEqual(try resolve(""), "room_1-TR_a-2027-01-15T080000.ogg", "values cannot add directories")
        XCTAssertEqual(try resolve("a/b/"), "a/b/room_1-TR_a-2027-01-15T080000.ogg")
        XCTAssertEqual(try resolve("./x/{publisher_identity}-{track_type}-{utc}"), "x/alice-audio-1800000000.ogg")
        XCTAssertEqual(try resolve("y.OGG"), "y.OGG")
        XCTAssertTrue(FileManager.default.fileExists(atPath: paths.absolute("a/b")), "directories are created")
        XCTAssertEqual(try resolve(paths.root + "/inside"), "inside.ogg")
        XCTAssertThrowsError(try resolve("z.webm")) { XCTAssertEqual($0 as? EgressError, .invalidArgument("this recording is written as .ogg, not .webm")) }
    }

    func testEscapesAreRefused() throws {
        for bad in ["../x", "a/../../x", "/etc/x", "..", "a/\0b"] {
            XCTAssertThrowsError(try resolve(bad), bad)
        }
        try FileManager.default.createSymbolicLink(atPath: paths.absolute("out"), withDestinationPath: directory.path)
        XCTAssertThrowsError(try resolve("out/x"))
    }

    func testTakenNames() throws {
        let first = try resolve("")
        FileManager.default.createFile(atPath: paths.absolute(first), contents: Data())
        XCTAssertEqual(try resolve(""), "room_1-TR_a-2027-01-15T080000-2.ogg", "a default name gets a suffix")
        FileManager.default.createFile(atPath: paths.absolute("mine.ogg"), contents: Data())
        XCTAssertThrowsError(try resolve("mine")) { XCTAssertEqual($0 as? EgressError, .alreadyExists("file mine.ogg already exists")) }
    }
}
