import Foundation
import Hummingbird
import NIOCore

/// A JSON request body whose fields are listed, so that unknown fields are refused rather
/// than silently ignored (a misspelt `"role"` must not register a plain volunteer).
protocol RequestBody: Decodable, Sendable {
    static var fields: Set<String> { get }
}

/// Bodies over this size are refused.
let maximumBodySize = 64 * 1024

extension Request {
    /// Reads and strictly decodes the JSON body.
    mutating func decode<Body: RequestBody>(_ type: Body.Type) async throws -> Body {
        var data = try await bodyData()
        // An empty body is an empty object: `POST .../cancel` needs no note.
        if data.isEmpty { data = Data("{}".utf8) }
        guard let object = try? JSONSerialization.jsonObject(with: data), let dictionary = object as? [String: Any] else {
            throw APIError(.badRequest, "malformed_json", "the body must be a JSON object")
        }
        let unknown = Set(dictionary.keys).subtracting(Body.fields)
        guard unknown.isEmpty else {
            throw APIError(.badRequest, "unknown_field", "unknown field(s): \(unknown.sorted().joined(separator: ", "))")
        }
        do {
            return try JSONDecoder().decode(Body.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIError(.badRequest, "missing_field", "\(key.stringValue) is required")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIError(.badRequest, "invalid_field", "\(field) has the wrong type")
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.badRequest, "invalid_body", "\(error)")
        }
    }

    /// The body, refused past 64 KiB whether or not a length was announced.
    mutating func bodyData() async throws -> Data {
        if let length = headers[.contentLength].flatMap(Int.init), length > maximumBodySize {
            throw APIError(.contentTooLarge, "body_too_large", "bodies are limited to 64 KiB")
        }
        do {
            let buffer = try await body.collect(upTo: maximumBodySize)
            return Data(buffer.readableBytesView)
        } catch {
            throw APIError(.contentTooLarge, "body_too_large", "bodies are limited to 64 KiB")
        }
    }
}

/// Query parameters with clear errors.
extension Request {
    func query<Value: LosslessStringConvertible>(_ name: String, as type: Value.Type) throws -> Value? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let value = Value(text) else { throw APIError(.badRequest, "invalid_query", "\(name)=\(text) is not valid") }
        return value
    }

    func query<Value: RawRepresentable>(_ name: String, as type: Value.Type) throws -> Value? where Value.RawValue == String {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let value = Value(rawValue: text) else { throw APIError(.badRequest, "invalid_query", "\(name)=\(text) is not valid") }
        return value
    }
}

extension Parameters {
    /// A path parameter, or a 404 that names it.
    func id<Identifier: LosslessStringConvertible>(_ name: String, as type: Identifier.Type) throws -> Identifier {
        guard let text = get(name), let value = Identifier(text) else { throw APIError(.notFound, "not_found", "no such \(name)") }
        return value
    }
}
