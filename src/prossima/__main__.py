from prossima.cli import main

raise SystemExit(main())
