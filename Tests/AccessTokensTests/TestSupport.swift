import AccessTokens
import Foundation
import XCTest

/// 2030-01-01T00:00:00Z: inside the validity window of every far-future fixture token, whatever
/// the machine clock says.
let fixtureNow = Date(timeIntervalSince1970: 1_893_456_000)

let fixtureVerifier = TokenVerifier(keys: [
    Fixtures.apiKey: Fixtures.secret,
    Fixtures.devKey: Fixtures.devSecret,
])

/// Verifies and returns the error, failing the test if verification succeeded.
func rejection(
    _ token: String, by verifier: TokenVerifier = fixtureVerifier, now: Date = fixtureNow,
    file: StaticString = #filePath, line: UInt = #line
) async -> TokenError? {
    do {
        let claims = try await verifier.verify(token, now: now)
        XCTFail("token was accepted: \(claims)", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

func assertRejected(
    _ token: String, as expected: TokenError, by verifier: TokenVerifier = fixtureVerifier, now: Date = fixtureNow,
    file: StaticString = #filePath, line: UInt = #line
) async {
    let error = await rejection(token, by: verifier, now: now, file: file, line: line)
    XCTAssertEqual(error, expected, file: file, line: line)
}

func assertMalformed(
    _ token: String, by verifier: TokenVerifier = fixtureVerifier, now: Date = fixtureNow,
    reasonContains fragment: String? = nil,
    file: StaticString = #filePath, line: UInt = #line
) async {
    let error = await rejection(token, by: verifier, now: now, file: file, line: line)
    guard case .malformed(let reason)? = error else {
        return XCTFail("expected .malformed, got \(String(describing: error))", file: file, line: line)
    }
    XCTAssertFalse(reason.isEmpty, file: file, line: line)
    if let fragment {
        XCTAssertTrue(reason.contains(fragment), "reason \"\(reason)\" lacks \"\(fragment)\"", file: file, line: line)
    }
}

/// The decoded JSON of segment `index` (0 header, 1 claims) of a compact JWS.
func segmentJSON(_ token: String, _ index: Int) throws -> [String: Any] {
    let segment = String(token.split(separator: ".", omittingEmptySubsequences: false)[index])
    var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
    let data = try XCTUnwrap(Data(base64Encoded: base64))
    return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
}

/// The raw text of segment `index`, base64url-decoded.
func segmentText(_ token: String, _ index: Int) throws -> String {
    let segment = String(token.split(separator: ".", omittingEmptySubsequences: false)[index])
    var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
    return String(decoding: try XCTUnwrap(Data(base64Encoded: base64)), as: UTF8.self)
}

func base64URL(_ text: String) -> String {
    Data(text.utf8).base64EncodedString()
        .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}
