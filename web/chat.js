// Mount the chat widget (rasa-webchat) on the clinic's page.
// window.MEDSPA_CHAT comes from /config.js (web/serve.py): where Rasa's socket.io is.
(function () {
  "use strict";

  var config = window.MEDSPA_CHAT;
  var mount = document.getElementById("chat");

  window.WebChat.default(
    {
      socketUrl: config.socketUrl,
      socketPath: config.socketPath,
      // the greeting the visitor sees the first time the chat opens
      initPayload: "/greet",
      title: "Lumen Skin Clinic",
      subtitle: "Questions about our treatments",
      inputTextFieldHint: "Type your question…",
      connectingText: "Connecting to the assistant…",
      // the conversation survives a reload, and ends with the browser tab
      params: { storage: "session" },
      // show answers as soon as they arrive (no simulated typing delay)
      customMessageDelay: function () {
        return 0;
      },
      // keep the chat on screen while the server restarts; it reconnects itself
      hideWhenNotConnected: false,
      // no Botfront rules: show the widget without waiting for them
      withRules: false,
      showFullScreenButton: false,
      mainColor: "#7a3e5c",
      userBackgroundColor: "#7a3e5c",
      userTextColor: "#ffffff",
    },
    mount
  );

  // rasa-webchat's quick replies are <div>s and its icon buttons have no names:
  // make the replies buttons for keyboards (Tab to one, Enter or Space to
  // choose it) and screen readers, and name the icon buttons.
  function label(selector, name) {
    Array.prototype.forEach.call(mount.querySelectorAll(selector), function (el) {
      if (!el.hasAttribute("aria-label")) el.setAttribute("aria-label", name);
    });
  }
  function enhance() {
    var replies = mount.querySelectorAll("div.rw-reply:not([tabindex])");
    Array.prototype.forEach.call(replies, function (reply) {
      reply.setAttribute("role", "button");
      reply.setAttribute("tabindex", "0");
    });
    var log = mount.querySelector(".rw-messages-container");
    if (log && !log.hasAttribute("role")) {
      log.setAttribute("role", "log");
      log.setAttribute("aria-live", "polite");
    }
    label(".rw-messages-container", "Conversation");
    label(".rw-launcher", "Chat with our assistant");
    label(".rw-send", "Send");
    label(".rw-new-message", "Your question");
  }
  enhance();
  new MutationObserver(enhance).observe(mount, {
    childList: true,
    subtree: true,
  });
  mount.addEventListener("keydown", function (event) {
    var target = event.target;
    var isReply = target.matches && target.matches("div.rw-reply");
    if (isReply && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      target.click();
    }
  });

  // "Ask our assistant" on the page opens the chat and puts the cursor in the
  // question field. The widget mounts its launcher, renders the field after
  // opening and enables it once connected, each a moment later (longer on a busy
  // phone): each step is retried every 50 ms (up to 2 s to open, 10 s to
  // connect), then given up quietly.
  function whenReady(selector, then, triesLeft) {
    var element = mount.querySelector(selector);
    if (element) {
      then(element);
    } else if (triesLeft > 0) {
      window.setTimeout(function () {
        whenReady(selector, then, triesLeft - 1);
      }, 50);
    }
  }
  document.getElementById("open-chat").addEventListener("click", function () {
    whenReady(".rw-launcher, .rw-conversation-container", function () {
      var launcher = mount.querySelector(".rw-launcher");
      if (launcher && !mount.querySelector(".rw-conversation-container")) {
        launcher.click();
      }
      // the field stays disabled until the widget is connected: focus it then
      whenReady(".rw-new-message:not([disabled])", function (input) {
        input.focus();
      }, 200);
    }, 40);
  });
})();
