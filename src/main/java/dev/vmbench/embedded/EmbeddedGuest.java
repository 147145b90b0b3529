package dev.vmbench.embedded;

import java.net.InetSocketAddress;

/** What the simulated virt-launcher runs for a VMI: a sandbox, or a QEMU guest. */
interface EmbeddedGuest extends AutoCloseable {

    /** Where the guest's SSH port answers on this machine (the VMI's address as the portforward dials it). */
    InetSocketAddress address();

    /** The serial console so far, as virt-launcher's guest-console-log container prints it. */
    String console();

    @Override
    void close();
}
