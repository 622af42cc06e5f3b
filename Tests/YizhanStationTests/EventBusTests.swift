import Testing
import YizhanStation

/// The event stream's memory: it holds a bounded number of the latest events, so a busy
/// day never grows the daemon, and replays exactly those.
@Suite struct EventBusTests {
    @Test func aReconnectingClientGetsTheHeldEventsThenTheLiveOnes() async {
        let bus = EventBus(run: 1, capacity: 3)
        let ids = (1...5).map { bus.publish(.scan, ["n": $0]) }
        #expect(bus.heldCount == 3)

        let stream = bus.subscribe(after: 0)
        let live = bus.publish(.scan, ["n": 6])
        bus.close()
        var received: [Int64] = []
        for await event in stream { received.append(event.id) }
        #expect(received == Array(ids.suffix(3)) + [live])
    }

    @Test func eventsThatAreNotHeldReachLiveSubscribersButNeverPushHeldOnesOut() async {
        let bus = EventBus(run: 1, capacity: 3)
        let stations = (1...3).map { bus.publish(.scan, ["n": $0]) }
        let stream = bus.subscribe(after: nil)
        let lights = (1...50).map { bus.publish(.lights, ["n": $0], held: false) }
        bus.close()
        var received: [Int64] = []
        for await event in stream { received.append(event.id) }
        #expect(received == lights, "a live subscriber sees the lights")
        var replayed: [Int64] = []
        for await event in bus.subscribe(after: 0) { replayed.append(event.id) }
        #expect(replayed == stations, "the replay still holds the station's events")
    }

    @Test func aSubscriberThatFallsBehindIsDroppedAndReplaysWhenItReturns() async {
        let bus = EventBus(run: 1, capacity: 100, liveBuffer: 4)
        let stalled = bus.subscribe(after: nil)
        let ids = (1...10).map { bus.publish(.scan, ["n": $0]) }
        #expect(bus.subscriberCount == 0, "dropped at the fifth event it did not take")
        var received: [Int64] = []
        for await event in stalled { received.append(event.id) }
        #expect(received == Array(ids.prefix(4)), "what it had buffered, then the end")

        let returned = bus.subscribe(after: received.last)
        bus.close()
        var replayed: [Int64] = []
        for await event in returned { replayed.append(event.id) }
        #expect(replayed == Array(ids.dropFirst(4)), "everything after its last id, once")
    }
}
