import Foundation
import YizhanCore

/// A JSON request body whose fields are listed, so that unknown fields are refused rather
/// than silently ignored (a misspelt `"role"` must not register a plain volunteer).
public protocol RequestBody: Codable, Sendable {
    static var fields: Set<String> { get }
    /// The values a field of a fixed vocabulary takes, named in the error when another is sent.
    static var choices: [String: [String]] { get }
}

extension RequestBody {
    public static var choices: [String: [String]] { [:] }
}

/// Why a body was refused, with the code the API answers.
public struct RequestBodyError: Error, Equatable, CustomStringConvertible {
    public let code: ErrorCode
    public let message: String

    public var description: String { "\(code.rawValue): \(message)" }
}

extension RequestBody {
    /// Strictly decodes `data`: a JSON object (an empty body is an empty object, as `POST
    /// …/cancel` needs no note) with only the listed fields, each of the right type.
    public static func decode(from data: Data) throws(RequestBodyError) -> Self {
        let data = data.isEmpty ? Data("{}".utf8) : data
        guard let object = try? JSONSerialization.jsonObject(with: data), let dictionary = object as? [String: Any] else {
            throw RequestBodyError(code: .malformedJSON, message: "the body must be a JSON object")
        }
        let unknown = Set(dictionary.keys).subtracting(fields)
        guard unknown.isEmpty else {
            throw RequestBodyError(code: .unknownField, message: "unknown field(s): \(unknown.sorted().joined(separator: ", "))")
        }
        do {
            return try JSONDecoder().decode(Self.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw RequestBodyError(code: .missingField, message: "\(key.stringValue) is required")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw RequestBodyError(code: .invalidField, message: "\(field) has the wrong type")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            if let allowed = choices[field] {
                throw RequestBodyError(code: .invalidField, message: "\(field) must be one of: \(allowed.joined(separator: ", "))")
            }
            throw RequestBodyError(code: .invalidField, message: "\(field): \(context.debugDescription)")
        } catch {
            throw RequestBodyError(code: .invalidBody, message: "\(error)")
        }
    }
}
