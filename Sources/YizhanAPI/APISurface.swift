/// Which socket a router serves: the admin socket has every route; the kiosk socket has
/// status, scans and the catalogue, and no volunteer data beyond what a slip shows.
public enum APISurface: String, Sendable {
    case admin, kiosk
}
