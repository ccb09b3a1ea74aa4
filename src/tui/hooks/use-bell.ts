// Rings the terminal bell (BEL, 0x07) once per new alert (message, request, file offer) while the
// bell is on. Writes only BEL: never a window title or any other sequence.
import { useEffect, useRef } from 'react';

export function useBell(alerts: number, enabled: boolean, ring: () => void): void {
  const seen = useRef(alerts);
  useEffect(() => {
    if (alerts > seen.current && enabled) ring();
    seen.current = alerts;
  }, [alerts, enabled, ring]);
}
