import Testing
import YizhanStation

/// The event stream's memory: it holds a bounded number of the latest events, so a busy
/// day never grows the daemon, and replays exactly those.
@Suite struct EventBusTests {
    @Test func aReconnectingClientGetsTheHeldEventsThenTheLiveOnes() async {
        let bus = EventBus(run: 1, capacity: 3)
        let ids = (1...5).map { bus.publish("n", ["n": $0]) }
        #expect(bus.heldCount == 3)

        let stream = bus.subscribe(after: 0)
        let live = bus.publish("n", ["n": 6])
        bus.close()
        var received: [Int64] = []
        for await event in stream { received.append(event.id) }
        #expect(received == Array(ids.suffix(3)) + [live])
    }
}
