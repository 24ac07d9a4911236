/// One colour per server for the whole report, so a server looks the same in every chart
/// and suite. Yardsticks are grey; the others take the palette's colours in the order they
/// first appear.
struct ServerPalette: Sendable {
    private var colours: [String: String] = [:]

    /// Colours that stay apart for the common forms of colour blindness (Paul Tol's
    /// "bright" and "muted" schemes), without grey.
    static let colours = [
        "#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", "#882255", "#117733", "#ddcc77", "#332288",
    ]
    static let yardstickColour = "#6e6e6e"

    init(_ suites: [SuiteResults]) {
        let yardsticks = Set(suites.compactMap(\.yardstick))
        var next = 0
        for server in SuiteResults.orderedUnique(suites.flatMap { $0.measurements.map(\.server) }) {
            if yardsticks.contains(server) {
                colours[server] = Self.yardstickColour
            } else {
                colours[server] = Self.colours[next % Self.colours.count]
                next += 1
            }
        }
    }

    func colour(of server: String) -> String { colours[server] ?? Self.yardstickColour }
}
