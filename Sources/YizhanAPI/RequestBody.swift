import Foundation
import Hummingbird
import NIOCore
import YizhanCore
import YizhanWire

/// Bodies over this size are refused.
public let maximumBodySize = 64 * 1024

extension Request {
    /// Reads and strictly decodes the JSON body.
    mutating func decode<Body: YizhanWire.RequestBody>(_ type: Body.Type) async throws -> Body {
        let data = try await bodyData()
        do {
            return try Body.decode(from: data)
        } catch {
            throw APIError(error.code, error.message)
        }
    }

    /// The body, refused past 64 KiB whether or not a length was announced.
    mutating func bodyData() async throws -> Data {
        if let length = headers[.contentLength].flatMap(Int.init), length > maximumBodySize {
            throw APIError(.bodyTooLarge, "bodies are limited to 64 KiB")
        }
        do {
            let buffer = try await body.collect(upTo: maximumBodySize)
            return Data(buffer.readableBytesView)
        } catch {
            throw APIError(.bodyTooLarge, "bodies are limited to 64 KiB")
        }
    }
}

/// Query parameters with clear errors.
extension Request {
    func query<Value: LosslessStringConvertible>(_ name: String, as type: Value.Type) throws -> Value? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let value = Value(text) else { throw APIError(.invalidQuery, "\(name)=\(text) is not valid") }
        return value
    }

    func query<Value: RawRepresentable>(_ name: String, as type: Value.Type) throws -> Value? where Value.RawValue == String {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let value = Value(rawValue: text) else { throw APIError(.invalidQuery, "\(name)=\(text) is not valid") }
        return value
    }
}

extension Request {
    /// A day in the query, `yyyy-MM-dd`, checked strictly.
    func day(_ name: String) throws -> LocalDay? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let day = LocalDay(String(text)) else {
            throw APIError(.invalidQuery, "\(name)=\(text) is not a day, yyyy-MM-dd")
        }
        return day
    }
}

extension Parameters {
    /// A path parameter, or a 404 that names it.
    func id<Identifier: LosslessStringConvertible>(_ name: String, as type: Identifier.Type) throws -> Identifier {
        guard let text = get(name), let value = Identifier(text) else { throw APIError(.notFound, "no such \(name)") }
        return value
    }
}
