/**
 * The browser client's entry point, served by parley-server at "/": restores the saved
 * session or shows the login screen, then the chat. The server is this page's own origin.
 */
import { Api } from "../client/api.ts";
import { ChatScreen } from "./chat-screen.ts";
import { loginScreen } from "./login-screen.ts";
import { clearSession, loadSession, type SavedSession, saveSession } from "./session.ts";
import { Theme } from "./theme.ts";

const server = location.origin;
const api = new Api(server);
const theme = new Theme();
const app = document.getElementById("app") as HTMLElement;
let chat: ChatScreen | undefined;

function showLogin(notice?: string): void {
  chat?.close();
  chat = undefined;
  document.title = "Parley";
  app.replaceChildren(
    loginScreen(
      api,
      (issued) => {
        const session = { token: issued.token, user: issued.user };
        saveSession(session);
        showChat(session);
      },
      notice,
    ),
  );
}

function showChat(session: SavedSession): void {
  chat?.close();
  chat = new ChatScreen({
    server,
    token: session.token,
    user: session.user,
    theme,
    logout: () => {
      void api.logout(session.token);
      clearSession();
      showLogin();
    },
    ended: (message) => {
      clearSession();
      showLogin(message);
    },
  });
  app.replaceChildren(chat.root);
}

const saved = loadSession();
if (saved) showChat(saved);
else showLogin();
