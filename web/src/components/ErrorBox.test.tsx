import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError, NETWORK_ERROR } from "../api/client";
import { I18nProvider } from "../i18n/I18n";
import { ErrorBox } from "./ErrorBox";

const wrap = (node: JSX.Element) => render(<I18nProvider>{node}</I18nProvider>);

describe("ErrorBox", () => {
  it("shows the API's own message, its code and per-field details", () => {
    const error = new ApiError(409, "SEAT_UNAVAILABLE", "Some seats are no longer available.", { seat_ids: [1] });
    wrap(<ErrorBox error={error} />);
    expect(screen.getByRole("alert")).toHaveTextContent("Some seats are no longer available.");
    expect(screen.getByText("SEAT_UNAVAILABLE")).toBeInTheDocument();
    const invalid = new ApiError(422, "VALIDATION_ERROR", "The request is not valid.", { password: "too short" });
    wrap(<ErrorBox error={invalid} />);
    expect(screen.getByRole("listitem")).toHaveTextContent("password: too short");
  });

  it("offers a retry for network errors", async () => {
    const retry = vi.fn();
    wrap(<ErrorBox error={new ApiError(0, NETWORK_ERROR, "x")} onRetry={retry} />);
    expect(screen.getByRole("alert")).toHaveTextContent("서버에 연결할 수 없습니다");
    await userEvent.click(screen.getByRole("button", { name: "다시 시도" }));
    expect(retry).toHaveBeenCalledTimes(1);
  });

  it("renders nothing without an error", () => {
    const { container } = wrap(<ErrorBox error={null} />);
    expect(container).toBeEmptyDOMElement();
  });
});

describe("ErrorBox retry", () => {
  it("offers no retry for an answer that will not change (a 404)", () => {
    render(
      <I18nProvider>
        <ErrorBox error={new ApiError(404, "NOT_FOUND", "No such event.")} onRetry={() => undefined} />
      </I18nProvider>,
    );
    expect(screen.getByRole("alert")).toHaveTextContent("No such event.");
    expect(screen.queryByRole("button")).toBeNull();
  });
});
