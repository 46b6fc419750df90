from govern.cli import main

main()
