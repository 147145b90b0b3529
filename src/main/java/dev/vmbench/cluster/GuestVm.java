package dev.vmbench.cluster;

import dev.vmbench.guest.GuestAgent;
import dev.vmbench.guest.GuestChannel;
import dev.vmbench.guest.GuestShell;

/** One running VM of a group and the live connection to it. Closing it closes the connection only. */
record GuestVm(String name, GuestChannel channel, GuestShell shell, GuestAgent agent) implements AutoCloseable {

    @Override
    public void close() {
        shell.close();
        channel.close();
    }
}
