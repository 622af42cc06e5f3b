import Testing
import YizhanCore
import YizhanTestSupport

@Suite struct SignalPlayerTests {
    let plan = SignalPlan()

    /// The lines every `step` from the start, for `count` steps.
    func trace(_ player: inout SignalPlayer, clock: ManualClock, every step: Duration, count: Int) -> [SignalLines] {
        (0..<count).map { _ in
            defer { clock.advance(by: step) }
            return player.lines(at: clock.now())
        }
    }

    @Test func acceptedIsGreenForASecondWithOneShortBeep() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        var player = SignalPlayer(plan: plan, at: clock.now())
        clock.advance(by: .seconds(10))
        player.show(.accepted, at: clock.now())
        let lines = trace(&player, clock: clock, every: .milliseconds(50), count: 21)
        #expect(lines.prefix(3).allSatisfy { $0 == [.green, .buzzer] }, "150 ms beep")
        #expect(lines[3..<20].allSatisfy { $0 == .green }, "green to one second")
        #expect(lines[20] == .green, "then idle: green steady")
        #expect(player.timeUntilChange(at: clock.now()) == nil, "and no timer")
    }

    @Test func attentionBlinksAmberWithTwoShortBeeps() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        var player = SignalPlayer(plan: plan, at: clock.now())
        player.show(.attention, at: clock.now())
        let lines = trace(&player, clock: clock, every: .milliseconds(60), count: 24)
        let beeps = zip([SignalLines()] + lines, lines).filter { !$0.contains(.buzzer) && $1.contains(.buzzer) }.count
        #expect(beeps == 2)
        #expect(lines.allSatisfy { !$0.contains(.green) && !$0.contains(.red) })
        #expect(lines.contains([]) && lines.contains(.amber), "blinking")
    }

    @Test func errorIsRedForTwoSecondsWithOneLongBeep() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        var player = SignalPlayer(plan: plan, at: clock.now())
        player.show(.error, at: clock.now())
        let lines = trace(&player, clock: clock, every: .milliseconds(100), count: 20)
        #expect(lines.prefix(6).allSatisfy { $0 == [.red, .buzzer] }, "a 600 ms beep")
        #expect(lines[6...].allSatisfy { $0 == .red })
        #expect(player.lines(at: clock.now()) == .green, "after two seconds, idle again")
    }

    @Test func aNewerOutcomePreemptsTheOlderPattern() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        var player = SignalPlayer(plan: plan, at: clock.now())
        player.show(.error, at: clock.now())
        clock.advance(by: .milliseconds(300))
        player.show(.accepted, at: clock.now())
        #expect(player.lines(at: clock.now()) == [.green, .buzzer])
        clock.advance(by: .milliseconds(1500))
        #expect(!player.lines(at: clock.now()).contains(.red), "the error pattern does not come back")
    }

    @Test func idleShowsTheStationsHealth() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        var player = SignalPlayer(plan: plan, at: clock.now())
        #expect(trace(&player, clock: clock, every: .milliseconds(300), count: 20).allSatisfy { $0 == .green }, "healthy: green steady")
        #expect(player.timeUntilChange(at: clock.now()) == nil, "steady needs no timer")
        player.setHealth(.deviceMissing, at: clock.now())
        #expect(
            trace(&player, clock: clock, every: .milliseconds(300), count: 10).allSatisfy { $0 == .amber }, "a device missing: amber steady"
        )
        #expect(player.timeUntilChange(at: clock.now()) == nil, "steady needs no timer")
        player.setHealth(.storeUnusable, at: clock.now())
        #expect(player.lines(at: clock.now()) == .red)
        player.show(.accepted, at: clock.now())
        player.setHealth(.healthy, at: clock.now())
        #expect(player.lines(at: clock.now()) == [.green, .buzzer], "an outcome in progress finishes first")
    }

    @Test func patternsParseFromTheConfig() {
        let pattern = SignalPattern(config: ["green+buzzer:150", "off:100", "amber"], repeats: false)
        #expect(pattern?.steps == [.init([.green, .buzzer], .milliseconds(150)), .init([], .milliseconds(100)), .init(.amber, nil)])
        #expect(SignalPattern(config: ["amber", "off:100"], repeats: false) == nil, "only the last step may be held")
        #expect(SignalPattern(config: ["green"], repeats: true) == nil, "a repeating pattern needs durations")
        #expect(SignalPattern(config: ["purple:100"], repeats: false) == nil)
    }
}

@Suite struct ButtonDebouncerTests {
    @Test func bounceIsIgnoredAndLongPressesAreLong() {
        let clock = Fixtures.clock("2026-11-30 09:00")
        var button = ButtonDebouncer(debounce: .milliseconds(30), longPress: .milliseconds(1500))
        var presses: [ButtonDebouncer.Press] = []
        func edge(_ pressed: Bool, after milliseconds: Int) {
            clock.advance(by: .milliseconds(milliseconds))
            if let press = button.edge(pressed: pressed, at: clock.now()) { presses.append(press) }
        }
        edge(true, after: 0)
        edge(false, after: 4)  // contact bounce
        edge(true, after: 3)
        edge(false, after: 300)
        edge(true, after: 5)  // bounce on release
        edge(false, after: 5)
        #expect(presses == [.short])
        edge(true, after: 1000)
        edge(false, after: 2000)
        #expect(presses == [.short, .long])
    }
}
