package dev.shallow;

/** Shallow's version, as recorded in the files it writes. */
public final class Version {
    public static final String VERSION = "0.1.0";

    private Version() {
    }
}
