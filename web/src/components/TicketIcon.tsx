/** The placeholder of an event without a poster. */
export function TicketIcon() {
  return (
    <svg viewBox="0 0 64 40" width="96" height="60" aria-hidden="true">
      <path d="M4 6h56v9a5 5 0 0 0 0 10v9H4v-9a5 5 0 0 0 0-10z" fill="#5b2bd9" opacity="0.85" />
      <path d="M44 8v24" stroke="#fff" strokeDasharray="3 3" strokeWidth="2" />
      <text x="24" y="25" textAnchor="middle" fontSize="10" fill="#fff" fontWeight="700">
        TIKETI
      </text>
    </svg>
  );
}
