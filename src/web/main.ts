/**
 * The browser client's entry point, served by parley-server at "/": restores the saved
 * session or shows the login screen, then the chat. The server is this page's own origin.
 */
import { Api } from "../client-core/api.ts";
import { ChatScreen } from "./chat-screen.ts";
import { loginScreen } from "./login-screen.ts";
import { clearSession, loadSession, type SavedSession, saveSession } from "./session.ts";
import { SettingsSync } from "./settings-sync.ts";
import { Theme } from "./theme.ts";

const server = location.origin;
const api = new Api(server);
const theme = new Theme();
const app = document.getElementById("app") as HTMLElement;
let chat: ChatScreen | undefined;
/** Keeps the logged-in user's appearance settings on the server. */
let sync: SettingsSync | undefined;

function showLogin(notice?: string): void {
  chat?.close();
  chat = undefined;
  sync?.stop();
  sync = undefined;
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
  sync?.stop();
  sync = new SettingsSync({ server, token: session.token, theme });
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

// The manifest makes the page installable. Linked from here, not from index.html: Bun's HTML
// bundler would look for the file, and it is a server route (src/web/manifest.ts).
document.head.append(
  Object.assign(document.createElement("link"), { rel: "manifest", href: "/manifest.webmanifest" }),
  Object.assign(document.createElement("link"), { rel: "apple-touch-icon", href: "/icon.svg" }),
);

// The app shell is cached by a service worker (src/web/service-worker.ts), so the page opens
// even while the server is down; browsers allow one only on https and localhost.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {
    // Not allowed here (plain http to another host): the page works the same without it.
  });
}

const saved = loadSession();
if (saved) showChat(saved);
else showLogin();
