// What the public API names, usable with `import AsyncUringSocket` alone: `Ring`,
// `RingGroup`, `RingConfiguration`, `ReceivedBytes` and `runOffRing(_:)` from the runtime,
// and the `Errno` of every ``SocketError``.
@_exported import AsyncUring
@_exported import struct SystemPackage.Errno
