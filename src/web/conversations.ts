/**
 * Every conversation the web client holds, and which one is on screen: the chat session's
 * book (src/client-core/conversation-book.ts) of the browser's conversations.
 */
import type { ConversationBook } from "../client-core/conversation-book.ts";
import type { Conversation } from "./conversation.ts";

export type Conversations = ConversationBook<Conversation>;
