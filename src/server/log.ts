/**
 * The logger moved to src/log/log.ts so src/bus/ and src/irc/ need not import server code. This
 * re-export only keeps branches written before the move compiling; import src/log/log.ts instead.
 */
export * from "../log/log.ts";
