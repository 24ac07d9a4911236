import AsyncUring
import Glibc

/// Open descriptors of this process, from /proc/self/fd, for the tests' leak checks.
///
/// Under a sanitizer, the first call starts the sanitizer's symbolizer first (a no-op
/// without one). ThreadSanitizer starts it at its first report, suppressed ones included
/// (scripts/tsan-suppressions.txt), which may come in the middle of any test: a child
/// process it talks to over two pipes, open until exit, that would read as that test's
/// leak. Started first, the two pipes are in every count.
public func openDescriptorCount() -> Int {
    _ = sanitizerSymbolizerStarted
    return SocketSyscalls.openDescriptorCount() ?? -1
}

private let sanitizerSymbolizerStarted: Void = {
    // void __sanitizer_symbolize_pc(void *pc, const char *fmt, char *buffer, size_t size)
    typealias SymbolizePC =
        @convention(c) (
            UnsafeRawPointer, UnsafePointer<CChar>, UnsafeMutablePointer<CChar>, Int
        ) -> Void
    guard let symbol = dlsym(nil, "__sanitizer_symbolize_pc") else { return }
    var name = [CChar](repeating: 0, count: 256)
    // Any address in the binary will do: the function's own.
    unsafeBitCast(symbol, to: SymbolizePC.self)(symbol + 1, "%f", &name, name.count)
}()
