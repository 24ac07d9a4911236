/// Something a completion queue entry's `user_data` points at.
///
/// `user_data` is `Unmanaged.passRetained(target).toOpaque()`; the ring releases that
/// reference exactly once, on the completion without `IORING_CQE_F_MORE`.
package class CompletionTarget: @unchecked Sendable {
    /// Called on the ring thread for every completion of this target.
    /// `isFinal` is false while a multishot request stays armed (`IORING_CQE_F_MORE`).
    func complete(result: Int32, flags: UInt32, isFinal: Bool) {
        preconditionFailure("\(Self.self) must override complete(result:flags:isFinal:)")
    }
}
