// quarry's browser SDK: a global QuarrySdk with a small client.
(function (root) {
  function createClient(options) {
    const base = (options && options.baseUrl) || "";
    return {
      health: async function () {
        const answer = await fetch(base + "/api/health");
        return answer.json();
      },
    };
  }
  root.QuarrySdk = { createClient: createClient };
})(typeof window !== "undefined" ? window : globalThis);
