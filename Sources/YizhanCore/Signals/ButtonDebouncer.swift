/// Turns a button's raw edges into presses: contact bounce shorter than the debounce time is
/// ignored, and a press held past the long-press time is a long press.
public struct ButtonDebouncer: Sendable {
    /// What a completed press was.
    public enum Press: Sendable, Hashable {
        case short, long
    }

    public let debounce: Duration
    public let longPress: Duration
    private var pressedAt: Instant?
    private var lastEdge: Instant?

    public init(debounce: Duration = .milliseconds(30), longPress: Duration = .milliseconds(1500)) {
        self.debounce = debounce
        self.longPress = longPress
    }

    /// Feeds one edge (`pressed` true when the button went down, after active-low is
    /// applied); returns a press when one is complete.
    public mutating func edge(pressed: Bool, at now: Instant) -> Press? {
        defer { lastEdge = now }
        if let lastEdge, now.elapsed(since: lastEdge) < debounce { return nil }
        if pressed {
            if pressedAt == nil { pressedAt = now }
            return nil
        }
        guard let down = pressedAt else { return nil }
        pressedAt = nil
        return now.elapsed(since: down) >= longPress ? .long : .short
    }
}
