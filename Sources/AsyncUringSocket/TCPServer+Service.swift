import ServiceLifecycle

/// A `TCPServer` is a swift-service-lifecycle `Service`: a `ServiceGroup` runs it with
/// ``TCPServer/run()``, and the group's graceful shutdown (on SIGTERM, say) makes it stop
/// accepting, lets handlers finish within the grace period and then returns.
///
/// Put the ``RingGroupService`` of the server's rings before the server in the group's
/// services: a `ServiceGroup` shuts its services down in reverse order, so the rings stop
/// only after the server has drained.
extension TCPServer: Service {}
