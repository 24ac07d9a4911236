/// A multishot receive that picks provided buffers and may starve for them (`ENOBUFS`).
protocol StarvableReceive: AnyObject {
    /// Arms the receive again after it starved, if it still wants to be.
    func armStarved()
    /// Ends a wait without a result (the waiting receive looks at its state again).
    func wake()
}

/// The ring's provided buffer ring, shared by the multishot receives of its connections.
extension Ring {
    /// The provided buffer ring receives pick from, registered on first use.
    func providedBufferRing() throws(RingError) -> ProvidedBuffers {
        if let providedBuffers { return providedBuffers }
        guard
            let buffers = ProvidedBuffers(
                ring: raw,
                count: configuration.receiveBufferCount,
                bufferSize: configuration.receiveBufferSize
            )
        else { throw RingError(operation: "io_uring_register_buf_ring", errno: .noMemory) }
        providedBuffers = buffers
        return buffers
    }

    /// Gives a provided buffer back to the kernel.
    func recycleBuffer(_ id: UInt16) {
        providedBuffers!.recycle(id)
    }

    /// Queues a multishot receive that ended with `ENOBUFS`, to be armed again once buffers
    /// come back (after the batch whose tasks recycle them).
    func starve(_ receive: any StarvableReceive) {
        starvedReceives.append(receive)
    }

    /// Arms starved receives again, oldest first, as many as there are free buffers.
    ///
    /// A receive can starve with no data waiting (the kernel may pick a buffer before it
    /// reads), and armed receives poll first, so an idle one armed here waits without taking
    /// a buffer. The ring does not sleep while buffers are free and receives starve
    /// (``hasStarvedReceivesToArm``): the next iteration arms the next ones.
    func armStarvedReceives() {
        guard let buffers = providedBuffers else { return }
        var budget = buffers.available
        while budget > 0, let receive = starvedReceives.popFirst() {
            receive.armStarved()
            budget -= 1
        }
    }

    /// Starved receives wait while buffers are free: arming them must not wait for the
    /// next completion, which may never come.
    var hasStarvedReceivesToArm: Bool {
        !starvedReceives.isEmpty && (providedBuffers?.available ?? 0) > 0
    }
}
