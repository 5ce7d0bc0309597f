/// Which files a chat keeps: a short list of types whose first bytes we can check, so a file is
/// stored (and later served with that type) only if it is what its sender says it is.
enum AttachmentContent {
    static let allowed: [String: @Sendable ([UInt8]) -> Bool] = [
        "image/png": { $0.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) },
        "image/jpeg": { $0.starts(with: [0xFF, 0xD8, 0xFF]) },
        "image/gif": { $0.starts(with: Array("GIF87a".utf8)) || $0.starts(with: Array("GIF89a".utf8)) },
        "image/webp": { $0.count >= 12 && $0.starts(with: Array("RIFF".utf8)) && Array($0[8..<12]) == Array("WEBP".utf8) },
        "application/pdf": { $0.starts(with: Array("%PDF-".utf8)) },
        "text/plain": { String(validating: $0, as: UTF8.self) != nil && !$0.contains(0) },
    ]

    /// The normalised type if `bytes` are a file of `mimeType` we keep; nil otherwise.
    static func check(mimeType: String, _ bytes: [UInt8]) -> String? {
        let type = mimeType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard let matches = allowed[type], matches(bytes) else { return nil }
        return type
    }
}
