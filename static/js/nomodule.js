// Only old browsers (without ES modules) run this file: ask them to update.
(function () {
  var main = document.getElementById("main");
  if (!main) return;
  while (main.firstChild) main.removeChild(main.firstChild);
  var box = document.createElement("div");
  box.className = "state state-error";
  box.appendChild(document.createTextNode(
    "您的浏览器版本较旧，无法使用本页面。请升级微信、支付宝或手机浏览器后再试。" +
    " Your browser is too old for this page: please update WeChat, Alipay or your browser."));
  main.appendChild(box);
})();
