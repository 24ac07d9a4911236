import Testing

/// Every socket test runs serially inside this suite so that each can check, by counting
/// /proc/self/fd, that it leaked no descriptor.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct SocketTests {}
