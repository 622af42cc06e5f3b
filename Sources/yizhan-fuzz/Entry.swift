import Foundation

// Built with `-sanitize=fuzzer -D FUZZING` (`make fuzz`), libFuzzer drives the target named
// by YIZHAN_FUZZ_TARGET. Built plainly, the program replays files through a target: the
// committed corpora stay a regression test in `make test`.

#if FUZZING
    let selected: FuzzTarget = {
        guard let name = ProcessInfo.processInfo.environment["YIZHAN_FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
            fatalError("YIZHAN_FUZZ_TARGET must be one of \(FuzzTarget.allCases.map(\.rawValue))")
        }
        return target
    }()

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
        selected.run(count == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: count)))
        return 0
    }

    @_silgen_name("LLVMFuzzerRunDriver")
    func runFuzzer(
        _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    /// SwiftPM gives an executable its own entry point; libFuzzer's driver runs from it.
    @main
    struct Fuzz {
        static func main() {
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(runFuzzer(&argc, &argv, fuzz))
        }
    }
#else
    /// `yizhan-fuzz TARGET FILE|DIRECTORY…`: runs every file through the target.
    @main
    struct Replay {
        static func main() throws {
            let arguments = CommandLine.arguments.dropFirst()
            guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
                print("usage: yizhan-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE|DIRECTORY…")
                exit(2)
            }
            var count = 0
            for path in arguments.dropFirst() {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                    print("yizhan-fuzz: \(path): no such file or directory")
                    exit(2)
                }
                let files =
                    isDirectory.boolValue
                    ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 } : [path]
                for file in files {
                    target.run([UInt8](try Data(contentsOf: URL(fileURLWithPath: file))))
                    count += 1
                }
            }
            print("\(name): \(count) inputs replayed")
        }
    }
#endif
