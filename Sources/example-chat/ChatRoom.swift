import AsyncUring

/// Everyone connected, across every ring: each member has an outbox its connection's
/// handler drains. Broadcasting only appends to outboxes, so a member that reads slowly
/// never holds up the others; one whose outbox overflows is dropped from the room.
final class ChatRoom: Sendable {
    /// The most lines waiting for one member before it is dropped as too slow.
    let outboxLimit: Int

    /// What a member's handler waits on.
    struct Membership {
        var id: Int
        /// The lines to send to the member, in order; ends when it leaves or the room closes.
        var outbox: AsyncStream<[UInt8]>
        /// Ends when the member leaves the room, left by it or dropped as too slow.
        var removal: AsyncStream<Never>
    }

    private struct Member {
        var name: String
        var outbox: AsyncStream<[UInt8]>.Continuation
        var removal: AsyncStream<Never>.Continuation
    }

    private struct State {
        var members: [Int: Member] = [:]
        var nextID = 0
        var isClosed = false
    }

    private let state = Locked(State())

    init(outboxLimit: Int) {
        self.outboxLimit = outboxLimit
    }

    /// Adds a member, tells the others, and greets it.
    /// - Returns: nil once the room is closed.
    func join(name: String) -> Membership? {
        let (outbox, outboxContinuation) = AsyncStream.makeStream(
            of: [UInt8].self,
            bufferingPolicy: .bufferingOldest(outboxLimit)
        )
        let (removal, removalContinuation) = AsyncStream.makeStream(of: Never.self)
        let id: Int? = state.withLock { state in
            guard !state.isClosed else { return nil }
            let id = state.nextID
            state.nextID += 1
            Self.deliver("* \(name) joined\n", to: Array(state.members.keys), in: &state)
            state.members[id] = Member(name: name, outbox: outboxContinuation, removal: removalContinuation)
            outboxContinuation.yield(Array("* welcome \(name), \(state.members.count) online\n".utf8))
            return id
        }
        guard let id else { return nil }
        return Membership(id: id, outbox: outbox, removal: removal)
    }

    /// Sends `text` from member `id` to every other member.
    func broadcast(_ text: some StringProtocol, from id: Int) {
        state.withLock { state in
            guard let sender = state.members[id] else { return }
            Self.deliver("[\(sender.name)] \(text)\n", to: state.members.keys.filter { $0 != id }, in: &state)
        }
    }

    /// Removes member `id` and tells the others; what its outbox holds may still be sent.
    func leave(_ id: Int) {
        state.withLock { Self.remove(id, from: &$0) }
    }

    /// Tells every member the room closes, ends their outboxes, and refuses new members.
    func close() {
        state.withLock { state in
            state.isClosed = true
            Self.deliver("* server shutting down\n", to: Array(state.members.keys), in: &state)
            for member in state.members.values { member.outbox.finish() }
        }
    }

    /// Appends `line` to each member's outbox and drops the members whose outbox is full.
    private static func deliver(_ line: String, to ids: [Int], in state: inout State) {
        let bytes = Array(line.utf8)
        let full = ids.filter { id in
            guard let member = state.members[id], case .dropped = member.outbox.yield(bytes) else { return false }
            return true
        }
        for id in full { remove(id, from: &state) }
    }

    private static func remove(_ id: Int, from state: inout State) {
        guard let member = state.members.removeValue(forKey: id) else { return }
        member.outbox.finish()
        member.removal.finish()
        deliver("* \(member.name) left\n", to: Array(state.members.keys), in: &state)
    }
}
