/** The fuzzer's raw WebSocket is the tests' one: a single implementation of the wire format. */
export {
  encodeFrame,
  type RawFrame as WireFrame,
  type RawFrameSpec,
  RawSocket as WireSocket,
} from "../../tests/support/raw-socket.ts";
