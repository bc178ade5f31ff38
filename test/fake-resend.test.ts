import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { FakeResend } from "./support/fake-resend.ts";

describe("the fake Resend server", () => {
  // A worker killed or timed out mid-send leaves a half-sent request behind: the fake must drop
  // it as the real service would, not fail the test run with an unhandled rejection.
  it("drops a request whose client went away mid-body, and answers the next", async () => {
    const fake = await new FakeResend().start();
    try {
      const url = new URL(fake.url!);
      const socket = connect(Number(url.port), url.hostname);
      await new Promise((resolve) => socket.once("connect", resolve));
      socket.write('POST /emails/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n[{"to":');
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(fake.answered() + fake.unanswered()).toBe(0);
      const response = await fetch(`${fake.url}/emails/batch`, {
        method: "POST",
        headers: { authorization: "Bearer re_test", "content-type": "application/json" },
        body: "[]",
      });
      expect(response.status).toBeLessThan(300);
      expect(fake.answered()).toBe(1);
    } finally {
      await fake.stop();
    }
  });
});
