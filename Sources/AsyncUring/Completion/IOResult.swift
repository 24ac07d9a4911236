import SystemPackage

/// How a request ended, as a typed value: the kernel's non-negative result (a byte count, a
/// descriptor, 0 for end of stream) or its error. The operations the socket layer calls
/// return it, so no result travels above the operations layer as a negated errno.
package typealias IOResult = Result<Int, Errno>

extension Result where Success == Int, Failure == Errno {
    /// From a completion's `cqe->res`: negative values are negated errnos.
    package init(completion res: some FixedWidthInteger & SignedInteger) {
        self = res >= 0 ? .success(Int(res)) : .failure(Errno(rawValue: Int32(truncatingIfNeeded: 0 - res)))
    }
}
