import CXKBCommon

/// Turns a keyboard-wedge scanner's key events into text through a keyboard layout, as the
/// scanner's firmware assumes one: with `us` a `@` is Shift+2, with `de` it is AltGr+Q.
/// Shift, CapsLock, NumLock and AltGr come from libxkbcommon's state; Alt+keypad digits
/// (how some scanners type characters outside the layout) are decoded here.
public final class KeyboardDecoder {
    /// What one key event produced.
    public enum Output: Sendable, Hashable {
        case text(String)
        /// The configured end-of-scan key.
        case terminator
    }

    /// The keys that can end a scan.
    public enum Terminator: String, Sendable, CaseIterable {
        case enter
        case kpEnter = "kp_enter"
        case tab

        var keysym: UInt32 {
            switch self {
            case .enter: 0xFF0D  // XKB_KEY_Return
            case .kpEnter: 0xFF8D  // XKB_KEY_KP_Enter
            case .tab: 0xFF09  // XKB_KEY_Tab
            }
        }
    }

    private let context: OpaquePointer
    private let keymap: OpaquePointer
    private var state: OpaquePointer
    private let terminators: Set<UInt32>
    private var altCode: String?

    /// Linux keycodes of the keypad digits 0…9 (KEY_KP0 …).
    static let keypadDigits: [UInt16: Character] = [
        82: "0", 79: "1", 80: "2", 81: "3", 75: "4", 76: "5", 77: "6", 71: "7", 72: "8", 73: "9",
    ]
    /// KEY_LEFTALT.
    static let leftAlt: UInt16 = 56

    /// Compiles the keymap for `layout` (and `variant`) from the system's xkb data.
    public init(layout: String, variant: String? = nil, terminators: Set<Terminator> = [.enter, .kpEnter]) throws(DeviceError) {
        guard let context = xkb_context_new(XKB_CONTEXT_NO_FLAGS) else { throw .system("xkb_context_new", .noMemory) }
        var names = xkb_rule_names()
        let keymap: OpaquePointer? = "evdev".withCString { rules in
            "pc105".withCString { model in
                layout.withCString { layout in
                    (variant ?? "").withCString { variant in
                        names.rules = rules
                        names.model = model
                        names.layout = layout
                        names.variant = variant
                        return xkb_keymap_new_from_names(context, &names, XKB_KEYMAP_COMPILE_NO_FLAGS)
                    }
                }
            }
        }
        guard let keymap, let state = xkb_state_new(keymap) else {
            xkb_context_unref(context)
            throw .system("xkb_keymap_new_from_names(\(layout))", .invalidArgument)
        }
        self.context = context
        self.keymap = keymap
        self.state = state
        self.terminators = Set(terminators.map(\.keysym))
        Self.lockNumLock(state, keymap)
    }

    /// NumLock on, as scanners that type keypad digits expect; a NumLock key event from the
    /// scanner still toggles it.
    private static func lockNumLock(_ state: OpaquePointer, _ keymap: OpaquePointer) {
        let numLock = xkb_keymap_mod_get_index(keymap, XKB_MOD_NAME_NUM)
        if numLock != XKB_MOD_INVALID {
            xkb_state_update_mask(state, 0, 0, 1 << numLock, 0, 0, 0)
        }
    }

    /// Forgets every key held and every lock but NumLock, as at the start: after the kernel
    /// dropped events, a Shift whose release was lost would otherwise stay held. Between
    /// scans a scanner holds no key, so this is the state the next scan starts from.
    public func reset() {
        guard let fresh = xkb_state_new(keymap) else { return }
        xkb_state_unref(state)
        state = fresh
        altCode = nil
        Self.lockNumLock(state, keymap)
    }

    deinit {
        xkb_state_unref(state)
        xkb_keymap_unref(keymap)
        xkb_context_unref(context)
    }

    /// Feeds one evdev key event (`EV_KEY`, code, 1 down / 0 up; auto-repeat is ignored).
    public func key(code: UInt16, pressed: Bool) -> Output? {
        let keycode = xkb_keycode_t(code) + 8
        defer { xkb_state_update_key(state, keycode, pressed ? XKB_KEY_DOWN : XKB_KEY_UP) }
        if !pressed {
            guard code == Self.leftAlt, let digits = altCode else { return nil }
            altCode = nil
            guard let value = UInt32(digits), let scalar = Unicode.Scalar(value), value >= 0x20 else { return nil }
            return .text(String(Character(scalar)))
        }
        if xkb_state_mod_name_is_active(state, XKB_MOD_NAME_ALT, XKB_STATE_MODS_EFFECTIVE) > 0 {
            if let digit = Self.keypadDigits[code] { altCode = (altCode ?? "") + String(digit) }
            return nil
        }
        let keysym = xkb_state_key_get_one_sym(state, keycode)
        if terminators.contains(keysym) { return .terminator }
        var buffer = [CChar](repeating: 0, count: 16)
        let length = xkb_state_key_get_utf8(state, keycode, &buffer, buffer.count)
        guard length > 0 else { return nil }
        let text = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else { return nil }
        return .text(text)
    }
}
