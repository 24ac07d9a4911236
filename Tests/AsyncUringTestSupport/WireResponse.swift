/// A response as read off the wire.
public struct WireResponse {
    public var status: Int
    public var reason: String
    /// Names lowercased, in order.
    public var fields: [(name: String, value: String)]
    public var body: [UInt8]
    public var trailers: [(name: String, value: String)] = []

    public func field(_ name: String) -> String? {
        fields.first { $0.name == name.lowercased() }?.value
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}
