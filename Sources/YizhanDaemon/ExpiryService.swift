import ServiceLifecycle
import YizhanStation

/// Closes expired patrols on time and announces hazards that became overdue. It sleeps
/// until the next open patrol's deadline or the next local midnight (when deadlines
/// pass), whichever comes first, or until a patrol opens.
final class ExpiryService: Service {
    private let station: Station
    private let doorbell: Doorbell

    init(station: Station, doorbell: Doorbell) {
        self.station = station
        self.doorbell = doorbell
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.station.expirePatrols()
                await self.station.announceOverdueHazards()
                let midnight = await self.station.timeUntilMidnight()
                let wait = await self.station.timeUntilNextExpiry().map { min($0, midnight) } ?? midnight
                await self.doorbell.wait(timeout: wait + .seconds(1))
            }
        }
    }
}
