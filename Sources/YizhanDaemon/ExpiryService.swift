import Logging
import ServiceLifecycle
import YizhanExecutors
import YizhanStation
import YizhanSystem

/// Closes expired patrols on time and announces hazards that became overdue. It sleeps
/// until the next open patrol's deadline or the next local midnight (when deadlines
/// pass), whichever comes first, or until a patrol opens, or the wall clock is set.
final class ExpiryService: Service {
    private let station: Station
    private let doorbell: Doorbell
    private let logger: Logger

    init(station: Station, doorbell: Doorbell, logger: Logger) {
        self.station = station
        self.doorbell = doorbell
        self.logger = logger
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.ringWhenTheClockIsSet() }
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    await self.station.expirePatrols()
                    await self.station.announceOverdueHazards()
                    let midnight = await self.station.timeUntilMidnight()
                    let wait = await self.station.timeUntilNextExpiry().map { min($0, midnight) } ?? midnight
                    await self.doorbell.wait(timeout: wait + .seconds(1))
                }
            }
            group.cancelAll()
        }
    }

    /// The wait for midnight is worked out on the wall clock and slept on the monotonic one.
    /// A board without a real-time clock boots with its wall clock where it stopped, and the
    /// time service may then set it hours or days on: midnight may have passed, and a
    /// hazard's deadline with it, so the wait is worked out again.
    private func ringWhenTheClockIsSet() async {
        let watch: FileDescriptor
        do {
            watch = try Kernel.clockStepWatch()
        } catch {
            logger.warning("cannot watch the wall clock for steps", metadata: ["error": "\(error)"])
            return
        }
        defer { try? watch.close() }
        var buffer = [UInt8](repeating: 0, count: 8)
        while !Task.isCancelled {
            await DeviceThread.shared.waitUntilReadable(watch)
            do {
                _ = try Kernel.read(watch, into: &buffer)
            } catch .canceled {
                logger.notice("the wall clock was set", metadata: ["synchronised": "\(SystemClock.isSynchronised())"])
                doorbell.ring()
            } catch {
                // Nothing else makes it readable: the timer itself is set for the end of time.
            }
        }
    }
}
