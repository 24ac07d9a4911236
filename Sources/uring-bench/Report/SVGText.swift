import Foundation

/// Writing SVG markup inline in HTML (no `xmlns` needed there, so no URL in the page).
enum SVGText {
    /// A coordinate with one decimal: `12.5`.
    static func number(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
    }

    /// `name="value"` pairs, values escaped.
    static func attributes(_ pairs: KeyValuePairs<String, String>) -> String {
        pairs.map { " \($0.key)=\"\($0.value.htmlEscaped)\"" }.joined()
    }

    /// A `<text>` element with escaped content.
    static func text(
        _ content: String,
        x: Double,
        y: Double,
        className: String,
        anchor: String = "middle",
        extra: String = ""
    ) -> String {
        "<text class=\"\(className)\" x=\"\(number(x))\" y=\"\(number(y))\" text-anchor=\"\(anchor)\"\(extra)>"
            + "\(content.htmlEscaped)</text>"
    }

    /// A `<title>` child: the browser's tooltip for its parent.
    static func title(_ content: String) -> String { "<title>\(content.htmlEscaped)</title>" }

    /// A line from (x1, y1) to (x2, y2).
    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, className: String) -> String {
        "<line class=\"\(className)\" x1=\"\(number(x1))\" y1=\"\(number(y1))\" x2=\"\(number(x2))\" y2=\"\(number(y2))\"/>"
    }
}
