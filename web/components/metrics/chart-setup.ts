// Loaded with import() after the first render (see series-chart.tsx), so that Chart.js stays
// out of every page's first-load JavaScript. Registers only what the metric charts use.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip);

export { Chart };
